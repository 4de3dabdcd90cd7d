import * as path from 'node:path';
import type { Logger } from 'pino';
import { runMigrations, startLocalKafka, startLocalPostgres } from '@lethe/local-infra';
import type { Infrastructure } from '../config';

/**
 * LETHE_LOCAL_INFRA=1 (development, tests, `npm run demo`; the configuration refuses it in
 * production): starts an embedded PostgreSQL under .data/ unless DATABASE_URL is set, a local
 * Kafka broker unless KAFKA_BROKERS is set, and applies the migrations, since there is no
 * deployment step here. The only production file allowed to import @lethe/local-infra
 * (.dependency-cruiser.cjs), and only through a dynamic import that production never takes.
 */
export async function startLocalInfrastructure(logger: Logger): Promise<Infrastructure> {
  const infraLogger = { info: (m: string) => logger.info(m), warn: (m: string) => logger.warn(m) };
  const postgres = await startLocalPostgres({
    persistent: true,
    dataDir: path.resolve(process.cwd(), '.data', 'governance-postgres'),
    logger: infraLogger,
  });
  try {
    const applied = await runMigrations(postgres.url);
    logger.info(
      { external: postgres.external, serverVersion: postgres.serverVersion, applied },
      'postgres ready',
    );
    const kafka = await startLocalKafka({ logger: infraLogger });
    return {
      databaseUrl: postgres.url,
      kafkaBrokers: kafka.brokers,
      async stop() {
        await kafka.stop();
        await postgres.stop();
      },
    };
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}
