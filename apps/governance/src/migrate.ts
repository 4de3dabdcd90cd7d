import 'reflect-metadata';
import { loadConfigOrExit, runMain } from '@lethe/shared/infrastructure/boot';
import { createLogger } from '@lethe/shared/infrastructure/logging';
import { runMigrations } from '@lethe/shared/infrastructure/postgres';
import { loadMigrateConfig } from './config';

/**
 * The migration step of a deployment (`npm run migration:run`; in the image,
 * `node -r ./scripts/register-aliases.js dist/apps/governance/src/migrate.js`): applies the pending
 * migrations to DATABASE_URL once, under an advisory lock, and exits. The service itself never
 * migrates; it refuses to start while migrations are pending.
 */
async function migrate(): Promise<void> {
  const config = loadConfigOrExit(loadMigrateConfig);
  const logger = createLogger({ app: 'governance-migrate', level: config.LOG_LEVEL });
  const applied = await runMigrations(config.DATABASE_URL, undefined, {
    onWaiting: ({ holderPid, waitedMs }) =>
      logger.info(
        { holderPid, waitedS: Math.round(waitedMs / 1000) },
        'waiting for the migration lock: another migration step is running',
      ),
  });
  logger.info({ applied }, applied.length > 0 ? 'migrations applied' : 'schema already current');
}

runMain('governance-migrate', migrate);
