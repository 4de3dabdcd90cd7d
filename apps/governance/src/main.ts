import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import * as path from 'node:path';
import { ConfigValidationError } from '@lethe/shared';
import { correlationMiddleware } from '@lethe/shared/infrastructure/http';
import { createLogger, NestPinoLogger } from '@lethe/shared/infrastructure/logging';
import { startLocalPostgres } from '@lethe/local-infra';
import { AppModule } from './app.module';
import { type GovernanceConfig, loadGovernanceConfig } from './config';

const EX_CONFIG = 78;

async function bootstrap(): Promise<void> {
  let config: GovernanceConfig;
  try {
    config = loadGovernanceConfig();
  } catch (e) {
    if (e instanceof ConfigValidationError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw e;
  }
  const logger = createLogger({ app: 'governance', level: config.LOG_LEVEL });

  // Embedded default: a real PostgreSQL server under .data/ when DATABASE_URL is unset.
  const postgres = await startLocalPostgres({
    persistent: true,
    dataDir: path.resolve(process.cwd(), '.data', 'governance-postgres'),
    logger: { info: (m: string) => logger.info(m), warn: (m: string) => logger.warn(m) },
  });
  logger.info(
    { external: postgres.external, serverVersion: postgres.serverVersion },
    'postgres ready',
  );

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({
      config,
      databaseUrl: postgres.url,
      kafkaBrokers: config.KAFKA_BROKERS ?? [],
    }),
    { logger: new NestPinoLogger(logger), bodyParser: true },
  );
  app.use(correlationMiddleware);
  app.useBodyParser('json', {
    limit: config.LETHE_MAX_EVENT_BYTES,
    type: ['application/json', 'application/*+json'],
  });

  const openApi = new DocumentBuilder()
    .setTitle('Lethe governance API')
    .setVersion('v1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi));

  const stopInfra = async () => {
    await postgres.stop();
  };
  process.once('SIGINT', () => void app.close().then(stopInfra));
  process.once('SIGTERM', () => void app.close().then(stopInfra));

  await app.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'governance service listening');
}

bootstrap().catch((e: unknown) => {
  process.stderr.write(
    `governance failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
