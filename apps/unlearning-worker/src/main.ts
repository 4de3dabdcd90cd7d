import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigValidationError, isDomainError } from '@lethe/shared';
import { correlationMiddleware } from '@lethe/shared/infrastructure/http';
import { createLogger, NestPinoLogger } from '@lethe/shared/infrastructure/logging';
import { initTensorflow } from '@lethe/unlearning';
import { type WorkerConfig, loadWorkerConfig } from './config';
import { WorkerModule } from './worker.module';

const EX_CONFIG = 78;

async function bootstrap(): Promise<void> {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig();
  } catch (e) {
    if (e instanceof ConfigValidationError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw e;
  }
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

bootstrap().catch((e: unknown) => {
  // A coded error is an expected refusal: say what and why, without a stack trace.
  const text = isDomainError(e)
    ? `[${e.code}] ${e.message}`
    : e instanceof Error
      ? (e.stack ?? e.message)
      : String(e);
  process.stderr.write(`unlearning-worker failed to start: ${text}\n`);
  process.exit(1);
});
