import { readFileSync } from 'node:fs';
import * as path from 'node:path';
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
      LETHE_API_KEYS:
        'ops:ops-key-0000000001:ops,crm:crm-key-0000000001:publisher,ml:ml-admin-key-000001:ml-admin',
      LETHE_SUBJECT_HMAC_KEY: 'e2e-subject-hmac-key-0123456789abcdef',
      LOG_LEVEL: 'info',
    });
    await waitForHttp(`${base}/health`, 180_000, app);
  }, 240_000);

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

  it('serves the OpenAPI document, the one exported to docs/openapi.json', async () => {
    const res = await fetch(`${base}/docs-json`);
    expect(res.status).toBe(200);
    const served = (await res.json()) as { info: { title: string } };
    expect(served.info.title).toBe('Lethe governance API');
    const exported = JSON.parse(
      readFileSync(path.join(__dirname, '..', 'docs', 'openapi.json'), 'utf8'),
    ) as unknown;
    expect(served).toEqual(exported);
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

  const post = (path: string, key: string, body: string, type = 'application/json') =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': type },
      body,
    });

  it('refuses a deletion event over LETHE_MAX_EVENT_BYTES with 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ specversion: '1.0', id: 'big-1', pad: 'x'.repeat(100 * 1024) });
    const res = await post(
      '/v1/deletion-requests',
      'crm-key-0000000001',
      big,
      'application/cloudevents+json',
    );
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('takes a JSON-array records upload far above the event limit', async () => {
    expect(
      (
        await post(
          '/v1/datasets',
          'ml-admin-key-000001',
          JSON.stringify({ datasetId: 'big', name: 'big' }),
        )
      ).status,
    ).toBe(201);
    const records = Array.from({ length: 300 }, (_, i) => ({
      recordId: `r-${i}`,
      subjectId: `person-${i}`,
      features: Array.from({ length: 784 }, (_, j) => ((i + j) % 255) / 255),
      label: i % 10,
    }));
    const body = JSON.stringify(records);
    expect(body.length).toBeGreaterThan(500 * 1024);
    const res = await post('/v1/datasets/big/records', 'ml-admin-key-000001', body);
    expect(res.status).toBeLessThan(300);
    expect(await res.json()).toMatchObject({ added: 300 });
  });

  it('denies a role that does not fit the route', async () => {
    const res = await post(
      '/v1/datasets',
      'crm-key-0000000001',
      JSON.stringify({ datasetId: 'x', name: 'x' }),
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'FORBIDDEN' });
  });
});
