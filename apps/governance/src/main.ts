import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import { CodedError, GovernanceTopics } from '@lethe/shared';
import { loadConfigOrExit, runMain } from '@lethe/shared/infrastructure/boot';
import { correlationMiddleware } from '@lethe/shared/infrastructure/http';
import { createLogger, NestPinoLogger } from '@lethe/shared/infrastructure/logging';
import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics } from '@lethe/shared/infrastructure/kafka';
import { pendingMigrations } from '@lethe/shared/infrastructure/postgres';
import { KeyRingEnv, keyRingFromEnv, type KeyRing } from '@lethe/audit';
import { ConfigValidationError } from '@lethe/shared/config';
import { AppModule } from './app.module';
import { externalInfrastructure, loadGovernanceConfig } from './config';
import { createOpenApiDocument } from './openapi';

/** Migrations are a deployment step; a replica never migrates, and never runs on an older schema. */
async function assertSchemaCurrent(databaseUrl: string): Promise<void> {
  const pending = await pendingMigrations(databaseUrl);
  if (pending.length > 0) {
    throw new CodedError(
      'SCHEMA_NOT_MIGRATED',
      'unavailable',
      `the database lacks ${pending.length} migration(s): ${pending.join(', ')}. Run the ` +
        'migration step first: `npm run migration:run` (image: dist/apps/governance/src/migrate.js).',
    );
  }
}

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(loadGovernanceConfig);
  const logger = createLogger({ app: 'governance', level: config.LOG_LEVEL });

  // The configuration requires a key ring in production; elsewhere a development one is made.
  const keyRingFile =
    config.LETHE_AUDIT_KEYRING || config.LETHE_AUDIT_KEYRING_FILE
      ? config.LETHE_AUDIT_KEYRING_FILE
      : (await import('./dev/dev-key-ring')).ensureDevKeyRing(logger);
  let keyRing: KeyRing;
  try {
    keyRing = keyRingFromEnv({
      [KeyRingEnv.inline]: config.LETHE_AUDIT_KEYRING,
      [KeyRingEnv.file]: config.LETHE_AUDIT_KEYRING ? undefined : keyRingFile,
    });
  } catch (e) {
    // A configuration problem like any other: listed, exit 78.
    loadConfigOrExit(() => {
      throw new ConfigValidationError('governance', [
        `${config.LETHE_AUDIT_KEYRING ? KeyRingEnv.inline : KeyRingEnv.file}: ${(e as Error).message}`,
      ]);
    });
    throw e;
  }

  const infra = config.LETHE_LOCAL_INFRA
    ? await (await import('./dev/local-infrastructure')).startLocalInfrastructure(logger)
    : externalInfrastructure(config);
  try {
    await assertSchemaCurrent(infra.databaseUrl);
  } catch (error) {
    await infra.stop();
    throw error;
  }
  const created = await ensureTopics(
    new Kafka({
      clientId: config.KAFKA_CLIENT_ID,
      brokers: [...infra.kafkaBrokers],
      logLevel: logLevel.WARN,
    }),
    GovernanceTopics.map((topic) => ({ topic })),
    { namespace: config.LETHE_TOPIC_NAMESPACE },
  );
  logger.info({ brokers: infra.kafkaBrokers, created }, 'kafka ready');

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({
      config,
      databaseUrl: infra.databaseUrl,
      kafkaBrokers: infra.kafkaBrokers,
      keyRing,
    }),
    { logger: new NestPinoLogger(logger), bodyParser: true },
  );
  app.use(correlationMiddleware);
  const jsonTypes = ['application/json', 'application/*+json'];
  // Dataset uploads may be large; every other JSON body (deletion events) keeps the event limit.
  app.use('/v1/datasets', json({ limit: config.LETHE_MAX_UPLOAD_BYTES, type: jsonTypes }));
  app.useBodyParser('json', {
    limit: config.LETHE_MAX_EVENT_BYTES,
    type: jsonTypes,
  });

  SwaggerModule.setup('docs', app, () => createOpenApiDocument(app));

  let shuttingDown = false;
  // A pooled PostgreSQL connection still checked out when the embedded server stops is told
  // "terminating connection due to administrator command" (57P01); during our own shutdown that
  // is expected, not a crash. Any other uncaught error still ends the process with status 1.
  process.on('uncaughtException', (e: unknown) => {
    if (shuttingDown && (e as { code?: unknown }).code === '57P01') {
      logger.warn('a database connection was closed by the server during shutdown');
      return;
    }
    process.stderr.write(
      `governance: uncaught ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(1);
  });
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await infra.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'governance service listening');
}

runMain('governance', bootstrap);
