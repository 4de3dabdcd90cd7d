import { createTestDatabase, freePort, testKafka, type TestDatabase } from '@lethe/local-infra';
import { type AppProcess, startApp, waitForHttp } from './support/app-process';

/** Black-box: the governance service boots on a real PostgreSQL database and serves over HTTP. */
describe('governance service over HTTP', () => {
  let db: TestDatabase;
  let app: AppProcess;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const kafka = testKafka();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = startApp('governance', {
      PORT: String(port),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      LETHE_TOPIC_NAMESPACE: kafka.namespace,
      LETHE_API_KEYS: 'ops:ops-key-0000000001:ops,crm:crm-key-0000000001:publisher',
      LETHE_SUBJECT_HMAC_KEY: 'e2e-subject-hmac-key-0123456789abcdef',
      LOG_LEVEL: 'info',
    });
    await waitForHttp(`${base}/health`, 90_000, app);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  }, 60_000);

  it('answers GET /health without credentials, with the database up', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      checks: { database: { status: 'up' } },
    });
  });

  it('serves the OpenAPI document', async () => {
    const res = await fetch(`${base}/docs-json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { info: { title: string } }).info.title).toBe(
      'Lethe governance API',
    );
  });

  it('echoes a well-formed correlation id and logs it as JSON', async () => {
    const res = await fetch(`${base}/health`, { headers: { 'x-correlation-id': 'e2e-corr-42' } });
    expect(res.headers.get('x-correlation-id')).toBe('e2e-corr-42');
    const lines = app
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
  });
});
