import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, runMain } from '@lethe/shared/infrastructure/boot';
import { correlationMiddleware } from '@lethe/shared/infrastructure/http';
import { createLogger, NestPinoLogger } from '@lethe/shared/infrastructure/logging';
import { LetheMetrics } from '@lethe/shared/infrastructure/metrics';
import { initTensorflow } from '@lethe/unlearning';
import { loadWorkerConfig } from './config';
import { startJobWorker, type JobWorker } from './jobs/job-worker';
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

  // Kafka: KAFKA_BROKERS, or (development) a local broker; neither: /health only.
  const local =
    !config.KAFKA_BROKERS && config.LETHE_LOCAL_INFRA
      ? await (await import('./dev/local-kafka')).startLocalBroker(logger)
      : null;
  const brokers = config.KAFKA_BROKERS ?? local?.brokers ?? null;
  const metrics = new LetheMetrics({ app: 'unlearning-worker' });
  let jobs: JobWorker | null = null;
  if (brokers) {
    jobs = await startJobWorker(config, brokers, logger, metrics);
  } else {
    logger.warn('KAFKA_BROKERS is not set: no jobs are consumed (this worker only serves /health)');
  }

  const app = await NestFactory.create(WorkerModule.forRoot(config, backend, jobs, metrics), {
    logger: new NestPinoLogger(logger),
  });
  app.use(correlationMiddleware);
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    await jobs?.stop();
    await app.close();
    await local?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen(config.PORT, config.HOST);
  logger.info(
    { workerId: config.WORKER_ID, backend, port: config.PORT },
    'unlearning worker ready',
  );
}

runMain('unlearning-worker', bootstrap);
