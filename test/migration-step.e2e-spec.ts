import {
  createDatabase,
  dropDatabase,
  freePort,
  migrationFiles,
  TestEnv,
  testKafka,
} from '@lethe/local-infra';
import { type AppProcess, startApp, waitForHttp } from './support/app-process';

const KEYS = {
  LETHE_API_KEYS: 'ops:ops-key-0000000001:ops',
  LETHE_SUBJECT_HMAC_KEY: 'e2e-subject-hmac-key-0123456789abcdef',
};

/**
 * Migrations run once per deployment, by the migration step, never by the service: on an empty
 * database the service refuses to start; two migration steps started together apply each
 * migration once; then the service starts.
 */
describe('the migration step (governance migrate.ts)', () => {
  const adminUrl = process.env[TestEnv.pgAdminUrl]!;
  const name = `lethe_migrate_${process.pid}`;
  let url: string;
  const running: AppProcess[] = [];

  beforeAll(async () => {
    url = await createDatabase(adminUrl, name); // empty: not a clone of the migrated template
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await dropDatabase(adminUrl, name);
  }, 60_000);

  it('the service refuses a database with pending migrations, and migrates nothing itself', async () => {
    const kafka = testKafka();
    const app = startApp('governance', {
      ...KEYS,
      PORT: String(await freePort()),
      DATABASE_URL: url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      LETHE_TOPIC_NAMESPACE: kafka.namespace,
    });
    running.push(app);
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(
      /governance failed to start: \[SCHEMA_NOT_MIGRATED\] the database lacks \d+ migration\(s\): .*EventStore/,
    );
  }, 240_000);

  it('two migration steps at once apply every migration exactly once', async () => {
    const steps = [0, 1].map(() =>
      startApp('governance', { DATABASE_URL: url, LOG_LEVEL: 'info' }, 'migrate'),
    );
    running.push(...steps);
    expect(await Promise.all(steps.map((s) => s.exited))).toEqual([0, 0]);
    const applied = steps.map((s) => {
      const line = s
        .output()
        .split('\n')
        .find((l) => l.includes('"msg":"migrations applied"') || l.includes('schema already'));
      return (JSON.parse(line ?? '{}') as { applied?: string[] }).applied ?? [];
    });
    // One step applied them all; the other waited on the lock and found nothing left to do.
    expect(applied.map((a) => a.length).sort((x, y) => x - y)).toEqual([
      0,
      migrationFiles().length,
    ]);
    expect(new Set(applied.flat()).size).toBe(migrationFiles().length);
  }, 180_000);

  it('then the service starts on the migrated database', async () => {
    const kafka = testKafka();
    const port = await freePort();
    const app = startApp('governance', {
      ...KEYS,
      PORT: String(port),
      DATABASE_URL: url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      LETHE_TOPIC_NAMESPACE: kafka.namespace,
    });
    running.push(app);
    await waitForHttp(`http://127.0.0.1:${port}/health`, 180_000, app);
  }, 240_000);

  it('the migration step without DATABASE_URL exits 78', async () => {
    const step = startApp('governance', {}, 'migrate');
    running.push(step);
    expect(await step.exited).toBe(78);
    expect(step.output()).toContain('governance-migrate: invalid configuration (1 problem)');
    expect(step.output()).toContain('- DATABASE_URL:');
  }, 60_000);
});
