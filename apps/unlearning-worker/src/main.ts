import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, runMain } from '@lethe/shared/infrastructure/boot';
import { correlationMiddleware } from '@lethe/shared/infrastructure/http';
import { createLogger, NestPinoLogger } from '@lethe/shared/infrastructure/logging';
import { initTensorflow } from '@lethe/unlearning';
import { loadWorkerConfig } from './config';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(loadWorkerConfig);
  const logger = createLogger({ app: 'unlearning-worker', level: config.LOG_LEVEL });
  // tfjs-node-gpu, then tfjs-node, then wasm (LETHE_TF_BACKEND=auto), or the one asked for.
  const tf = await initTensorflow(config.LETHE_TF_BACKEND);
  const backend = tf.binding ? `${tf.name} (${tf.binding})` : tf.name;
  logger.info(
    { backend, requested: tf.requested, fallbacks: tf.fallbacks },
    'tensorflow backend selected',
  );
  const app = await NestFactory.create(WorkerModule.forRoot(config, backend), {
    logger: new NestPinoLogger(logger),
  });
  app.use(correlationMiddleware);
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  logger.info(
    { workerId: config.WORKER_ID, backend, port: config.PORT },
    'unlearning worker ready',
  );
}

runMain('unlearning-worker', bootstrap);
