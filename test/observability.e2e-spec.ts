import { Kafka, logLevel } from 'kafkajs';
import {
  consoleLogger,
  createTestDatabase,
  newNamespace,
  startLocalKafka,
  type LocalKafka,
  type TestDatabase,
} from '@lethe/local-infra';
import { Topics } from '@lethe/shared';
import { sampleValue } from '@lethe/shared/testing/prometheus-text';
import {
  createIntakeTopics,
  deletionEvent,
  PUBLISHER_KEY,
  startService,
  until,
  waitHealthy,
  type Service,
  type Stack,
} from './support/failure-harness';

jest.setTimeout(300_000);

/**
 * Black box, on real PostgreSQL and a Kafka broker of the test's own (docs/adr/0014-observability.md):
 * GET /metrics moves with real requests on both doors, and readiness follows the broker (down
 * while it is stopped, back by itself after) while liveness stays up throughout.
 */
describe('governance observability: /metrics, /health/live, /health/ready', () => {
  let kafka: LocalKafka;
  let db: TestDatabase;
  let stack: Stack;
  let service: Service;

  beforeAll(async () => {
    db = await createTestDatabase('lethe_observability');
    kafka = await startLocalKafka({ useEnv: false, logger: consoleLogger });
    stack = { databaseUrl: db.url, brokers: kafka.brokers, namespace: newNamespace('obs') };
    await createIntakeTopics(stack);
    service = await startService(stack);
    await waitHealthy(service, 180_000);
  }, 300_000);

  afterAll(async () => {
    await service?.proc.stop();
    await kafka?.stop();
    await db?.drop();
  }, 120_000);

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${service.base}/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };
  const counter = (text: string, name: string, labels: Record<string, string>): number =>
    sampleValue(text, name, { app: 'governance', ...labels }) ?? 0;
  const intake = (text: string, door: string, outcome: string, code = '') =>
    counter(text, 'lethe_intake_events_total', { door, outcome, code });
  const post = (body: unknown) =>
    fetch(`${service.base}/v1/deletion-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PUBLISHER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const get = async (path: string) => {
    const res = await fetch(`${service.base}${path}`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('serves process metrics and the Lethe gauges, without credentials', async () => {
    const text = await scrape();
    expect(sampleValue(text, 'process_cpu_user_seconds_total', { app: 'governance' })).toEqual(
      expect.any(Number),
    );
    expect(sampleValue(text, 'lethe_outbox_backlog', { app: 'governance' })).toEqual(
      expect.any(Number),
    );
    expect(sampleValue(text, 'lethe_jobs', { status: 'awaiting-dispatch' })).toBe(0);
    expect(sampleValue(text, 'lethe_job_queue_depth')).toBe(0);
    // The intake group's lag: nothing published yet, nothing behind (the first scrape may still
    // be connecting its admin client).
    await until(
      'the intake lag sampled',
      scrape,
      (t) =>
        sampleValue(t, 'lethe_consumer_lag_messages', {
          group: 'lethe-governance-intake',
          topic: Topics.deletionRequests,
        }) === 0,
      30_000,
      500,
    );
  });

  it('counts HTTP intake as accepted, duplicate and rejected by code', async () => {
    const before = await scrape();
    const event = deletionEvent('obs-http-1');
    expect((await post(event)).status).toBe(202);
    expect((await post(event)).status).toBe(202); // the same (source, id) and content: a repeat
    const bad = await post({ ...event, id: 'obs-http-2', data: { legalBasis: 'gdpr-art-17' } });
    expect(bad.status).toBe(400);
    const { code } = (await bad.json()) as { code: string };

    const after = await scrape();
    expect(intake(after, 'http', 'accepted') - intake(before, 'http', 'accepted')).toBe(1);
    expect(intake(after, 'http', 'duplicate') - intake(before, 'http', 'duplicate')).toBe(1);
    expect(intake(after, 'http', 'rejected', code) - intake(before, 'http', 'rejected', code)).toBe(
      1,
    );
  });

  it('counts Kafka intake and the DLQ once the consumer has taken the messages in', async () => {
    const producer = new Kafka({
      clientId: 'observability-test',
      brokers: stack.brokers,
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    try {
      await producer.send({
        topic: `${stack.namespace}${Topics.deletionRequests}`,
        acks: -1,
        messages: [
          { key: 'a', value: JSON.stringify(deletionEvent('obs-kafka-1')) },
          { key: 'b', value: '{not json' },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const text = await until(
      'both messages counted',
      scrape,
      (t) =>
        intake(t, 'kafka', 'accepted') === 1 &&
        intake(t, 'kafka', 'rejected', 'INVALID_JSON') === 1,
      60_000,
      500,
    );
    expect(
      counter(text, 'lethe_dlq_messages_total', {
        topic: Topics.deletionRequestsDlq,
        code: 'INVALID_JSON',
      }),
    ).toBe(1);
    // Counts only: no subject, source or event id ever reaches a label.
    expect(text).not.toMatch(/subject-|urn:lethe|obs-kafka|obs-http/);
    // The requests' events reach Kafka through the outbox: the relay's total moves, the backlog drains.
    await until(
      'the outbox relayed and drained',
      scrape,
      (t) =>
        counter(t, 'lethe_outbox_published_total', {}) >= 2 &&
        sampleValue(t, 'lethe_outbox_backlog', { app: 'governance' }) === 0,
      60_000,
      500,
    );
  });

  it('is ready with PostgreSQL, Kafka and the intake up; not ready while the broker is down; live throughout', async () => {
    const ready = await get('/health/ready');
    expect(ready).toMatchObject({
      status: 200,
      body: {
        status: 'ok',
        details: {
          database: { status: 'up' },
          kafka: { status: 'up', brokers: 1 },
          intake: { status: 'up' },
        },
      },
    });
    expect(await get('/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });

    const pid = service.proc.child.pid;
    await kafka.restart!(async () => {
      const down = await until(
        'GET /health/ready reports Kafka down',
        () => get('/health/ready'),
        (r) => r.status === 503,
        30_000,
      );
      expect(down.body).toMatchObject({
        status: 'error',
        error: { kafka: { status: 'down' } },
        details: { database: { status: 'up' } },
      });
      // Liveness asks nothing outside the process: a broker outage never gets it restarted.
      expect(await get('/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
      // Metrics are still served; the lag sampler's failure is counted, not thrown.
      const text = await scrape();
      expect(
        counter(text, 'lethe_metrics_sampler_errors_total', {
          sampler: 'lag:lethe-governance-intake',
        }),
      ).toBeGreaterThan(0);
    });
    // Back by itself, the same process.
    await until(
      'GET /health/ready back to 200',
      () => get('/health/ready'),
      (r) => r.status === 200,
      120_000,
      500,
    );
    expect(service.proc.child.pid).toBe(pid);
    expect(service.proc.child.exitCode).toBeNull();
  });
});
