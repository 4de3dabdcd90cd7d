import * as path from 'node:path';
import { register as registerTsconfigPaths } from 'tsconfig-paths';
import { consoleLogger } from '../support/logger';
import { repoRoot } from '../support/paths';
import { startLocalPostgres, type LocalPostgres } from '../postgres/start-local-postgres';
import { startLocalKafka, type LocalKafka } from '../kafka/start-local-kafka';
import { createDatabase, dropDatabase, sealTemplate } from '../postgres/databases';
import { migrationFiles, runMigrations } from '../postgres/migrations';
import { TEMPLATE_DATABASE, TestEnv } from './test-env';

interface Stoppable {
  stop(): Promise<void>;
}

interface TestInfraState {
  started: Stoppable[];
}

const STATE_KEY = Symbol.for('lethe.local-infra.test-infra');
type GlobalWithState = typeof globalThis & { [STATE_KEY]?: TestInfraState };

/**
 * Starts PostgreSQL (unless DATABASE_URL) and Kafka (unless KAFKA_BROKERS or LETHE_TEST_KAFKA=off)
 * in parallel, once per jest run, builds the migrated template
 * database and publishes everything through process.env (inherited by jest's workers).
 * Idempotent: jest calls it once per project that lists it.
 */
export async function startTestInfra(): Promise<void> {
  const holder = globalThis as GlobalWithState;
  if (holder[STATE_KEY]) return;
  const state: TestInfraState = { started: [] };
  holder[STATE_KEY] = state;
  const logger = consoleLogger;
  const startedAt = Date.now();
  try {
    const wantKafka = process.env[TestEnv.kafkaSwitch] !== 'off';
    const [pg, kafka] = await Promise.allSettled([
      startLocalPostgres({ logger }).then(async (postgres) => {
        state.started.push(postgres);
        await prepareTemplate(postgres);
        return postgres;
      }),
      wantKafka
        ? startLocalKafka({ logger }).then((broker) => {
            state.started.push(broker);
            return broker;
          })
        : Promise.resolve(undefined),
    ]);
    if (pg.status === 'rejected') throw pg.reason;
    if (kafka.status === 'rejected') throw kafka.reason;
    publish(pg.value, kafka.value);
    logger.info(`PostgreSQL server version: ${pg.value.version}`);
    logger.info(
      kafka.value
        ? `Kafka version: ${kafka.value.version}, brokers ${kafka.value.brokers.join(',')}`
        : `Kafka not started (${TestEnv.kafkaSwitch}=off)`,
    );
    logger.info(`test infrastructure ready in ${Date.now() - startedAt} ms`);
  } catch (error) {
    await stopTestInfra();
    throw error;
  }
}

/** Stops what startTestInfra started (servers from env overrides are left alone). */
export async function stopTestInfra(): Promise<void> {
  const holder = globalThis as GlobalWithState;
  const state = holder[STATE_KEY];
  if (!state) return;
  delete holder[STATE_KEY];
  const results = await Promise.allSettled(state.started.reverse().map((s) => s.stop()));
  for (const result of results) {
    if (result.status === 'rejected') consoleLogger.warn(`stop failed: ${String(result.reason)}`);
  }
}

function publish(postgres: LocalPostgres, kafka: LocalKafka | undefined): void {
  process.env[TestEnv.pgAdminUrl] = postgres.url;
  process.env[TestEnv.pgTemplate] = TEMPLATE_DATABASE;
  process.env[TestEnv.pgVersion] = postgres.serverVersion;
  if (kafka) {
    process.env[TestEnv.kafkaBrokers] = kafka.brokers.join(',');
    process.env[TestEnv.kafkaVersion] = kafka.version;
  }
}

async function prepareTemplate(postgres: LocalPostgres): Promise<void> {
  const files = migrationFiles();
  await dropDatabase(postgres.url, TEMPLATE_DATABASE);
  const templateUrl = await createDatabase(postgres.url, TEMPLATE_DATABASE);
  // Migration files may import the @lethe/* aliases; outside jest's sandbox only tsconfig-paths resolves them.
  const unregister = registerTsconfigPaths({
    baseUrl: repoRoot(),
    paths: tsconfigPaths(),
  });
  try {
    const applied = await runMigrations(templateUrl, files);
    consoleLogger.info(
      `template database ${TEMPLATE_DATABASE}: ${applied.length} migration(s) applied` +
        (applied.length ? ` (${applied.join(', ')})` : ''),
    );
  } catch (error) {
    throw new Error(
      `running migrations (${files.map((f) => path.basename(f)).join(', ')}) on ${TEMPLATE_DATABASE} failed: ${(error as Error).message}`,
    );
  } finally {
    unregister();
  }
  await sealTemplate(postgres.url, TEMPLATE_DATABASE);
}

function tsconfigPaths(): Record<string, string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tsconfig = require(path.join(repoRoot(), 'tsconfig.json')) as {
    compilerOptions?: { paths?: Record<string, string[]> };
  };
  return tsconfig.compilerOptions?.paths ?? {};
}
