import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigValidationError } from '@lethe/shared';
import { correlationMiddleware } from '@lethe/shared/infrastructure/http';
import { createLogger, NestPinoLogger } from '@lethe/shared/infrastructure/logging';
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
  const backend = 'pending'; // replaced by the tfjs backend selection of libs/unlearning
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
  process.stderr.write(
    `unlearning-worker failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
