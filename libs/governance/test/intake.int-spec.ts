import { spawn } from 'node:child_process';
import * as path from 'node:path';
import request from 'supertest';
import { OUTBOX_EVENT_RELATION, outboxValueSql } from '@lethe/event-store';
import { GOVERNANCE_EVENT_VALUES } from '../src/application/messages/governance-cloud-event';
import { DlqHeaders, Topics } from '@lethe/shared';
import type { Consumer, IHeaders } from 'kafkajs';
import { GovernanceProjections } from '../src';
import { DeletionRequestsKafkaConsumer } from '../src/infrastructure/kafka/deletion-requests.kafka-consumer';
import { requestIdFor } from '../src/application/ids';
import {
  bearer,
  count,
  deletionEvent,
  eventually,
  KEYS,
  startGovernance,
  TEST_SOURCE,
  type GovernanceTestApp,
} from './harness';

jest.setTimeout(180_000);

interface DlqMessage {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

const text = (h: IHeaders): Record<string, string> =>
  Object.fromEntries(
    Object.entries(h).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString() : String(v)]),
  );

/** Kafka + HTTP intake against the real broker and Postgres. */
describe('deletion-request intake (real Kafka + Postgres)', () => {
  let t: GovernanceTestApp;
  const consumers: Consumer[] = [];
  const requested = (where = '') =>
    count(t.dataSource, `SELECT count(*) n FROM events WHERE type = 'DeletionRequested' ${where}`);
  const produce = async (
    messages: { key?: string; value: Buffer | string; headers?: IHeaders }[],
  ) => {
    const producer = t.kafka.producer();
    await producer.connect();
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({
        topic: t.topic(Topics.deletionRequests),
        acks: -1,
        messages: messages.slice(i, i + 1000),
      });
    }
    await producer.disconnect();
  };
  const committedTotal = async (): Promise<number> => {
    const admin = t.kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({
      groupId: `${t.namespace}lethe-governance-intake`,
      topics: [t.topic(Topics.deletionRequests)],
    });
    await admin.disconnect();
    return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  };
  /** Reads the DLQ from its beginning until `expected` messages that `mine` accepts are in. */
  const readDlq = async (
    expected: number,
    mine: (m: DlqMessage) => boolean = () => true,
  ): Promise<DlqMessage[]> => {
    const got: DlqMessage[] = [];
    const consumer = t.kafka.consumer({
      groupId: `${t.namespace}dlq-reader-${consumers.length}`,
      maxWaitTimeInMs: 100,
    });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: t.topic(Topics.deletionRequestsDlq), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push({
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: text(message.headers ?? {}),
        });
      },
    });
    await eventually(
      async () => got.filter(mine).length,
      (n) => n >= expected,
      60_000,
    );
    return got.filter(mine);
  };

  beforeAll(async () => {
    t = await startGovernance({
      run: { scheduler: false, outboxRelay: true, projections: false },
    });
    await request(t.app.getHttpServer())
      .post('/v1/datasets')
      .set(bearer(KEYS.admin))
      .send({ datasetId: 'mnist-demo', name: 'MNIST demo' })
      .expect(201);
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await t?.close();
  });

  it('the same event three times (Kafka, Kafka, HTTP) makes one request', async () => {
    const event = deletionEvent('dup-1', 'user-42', { scope: { datasetIds: ['mnist-demo'] } });
    const bytes = JSON.stringify(event);
    await produce([
      { key: 'user-42', value: bytes },
      { key: 'user-42', value: bytes },
    ]);
    const http = await request(t.app.getHttpServer())
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(event)
      .expect(202);
    expect(http.body.requestId).toBe(requestIdFor(TEST_SOURCE, 'dup-1'));
    await eventually(committedTotal, (n) => n >= 2, 60_000);
    expect(await requested()).toBe(1);
    const projections = t.app.get(GovernanceProjections);
    await projections.runner.catchUp('governance.deletion-requests');
    expect(await count(t.dataSource, 'SELECT count(*) n FROM gov_deletion_requests_view')).toBe(1);
    const again = await request(t.app.getHttpServer())
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(event)
      .expect(202);
    expect(again.body).toEqual({
      requestId: http.body.requestId,
      status: 'accepted',
      duplicate: true,
    });
  });

  it('publishes every domain event through the outbox as a CloudEvent keyed by aggregate id', async () => {
    const requestId = requestIdFor(TEST_SOURCE, 'dup-1');
    const got: { key: string; value: Record<string, unknown>; headers: Record<string, string> }[] =
      [];
    const consumer = t.kafka.consumer({
      groupId: `${t.namespace}events-reader`,
      maxWaitTimeInMs: 100,
    });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: t.topic(Topics.governanceEvents), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push({
          key: message.key?.toString() ?? '',
          value: JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown>,
          headers: text(message.headers ?? {}),
        });
      },
    });
    const mine = await eventually(
      async () => got.filter((m) => m.key === requestId),
      (m) => m.length >= 1,
      60_000,
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]?.headers['content-type']).toBe('application/cloudevents+json');
    expect(mine[0]?.value).toMatchObject({
      specversion: '1.0',
      type: 'lethe.governance.deletion-requested.v1',
      source: 'urn:lethe:governance',
      subject: `deletion_request/${requestId}`,
      data: { requestId, sourceEventId: 'dup-1', subjectRef: expect.stringMatching(/^sr1_/) },
    });
    expect(JSON.stringify(got)).not.toContain('user-42');
  });

  it('gives each Kafka message its correlation id: a well-formed x-correlation-id header, else the CloudEvent id', async () => {
    const committedBefore = await committedTotal();
    await produce([
      {
        key: 'user-c1',
        value: JSON.stringify(deletionEvent('corr-header', 'user-c1')),
        headers: { 'x-correlation-id': 'upstream-trace-42' },
      },
      {
        key: 'user-c2',
        value: JSON.stringify(deletionEvent('corr-bad-header', 'user-c2')),
        headers: { 'x-correlation-id': 'not well formed; drop table' },
      },
      { key: 'user-c3', value: JSON.stringify(deletionEvent('corr-none', 'user-c3')) },
    ]);
    await eventually(committedTotal, (n) => n >= committedBefore + 3, 60_000);
    const rows = await t.dataSource.query<{ source: string; correlation: string }[]>(
      `SELECT data->>'sourceEventId' AS source, metadata->>'correlationId' AS correlation
         FROM events WHERE data->>'sourceEventId' LIKE 'corr-%' ORDER BY 1`,
    );
    expect(rows).toEqual([
      { source: 'corr-bad-header', correlation: 'corr-bad-header' },
      { source: 'corr-header', correlation: 'upstream-trace-42' },
      { source: 'corr-none', correlation: 'corr-none' },
    ]);
    // and the CloudEvent each one leaves through the outbox carries it too
    const outbox = await t.dataSource.query<{ key: string; corr: string; header: string }[]>(
      `SELECT key, convert_from(${outboxValueSql(GOVERNANCE_EVENT_VALUES)}, 'UTF8')::jsonb
                     ->>'lethecorrelationid' AS corr,
              headers->>'lethe-correlation-id' AS header
         FROM outbox ${OUTBOX_EVENT_RELATION} WHERE key = $1`,
      [requestIdFor(TEST_SOURCE, 'corr-header')],
    );
    expect(outbox).toEqual([
      {
        key: requestIdFor(TEST_SOURCE, 'corr-header'),
        corr: 'upstream-trace-42',
        header: 'upstream-trace-42',
      },
    ]);
  });

  it('sends every kind of malformed input to the DLQ with its code, changes nothing, and moves on', async () => {
    const base = deletionEvent('bad', 'user-7');
    const variant = (patch: (e: Record<string, unknown>) => void) => {
      const e = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
      patch(e);
      return JSON.stringify(e);
    };
    const data = (e: Record<string, unknown>) => e.data as Record<string, unknown>;
    const cases: [string, Buffer | string][] = [
      ['INVALID_JSON', '{"specversion": "1.0", "id": '],
      ['INVALID_JSON', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])], // not UTF-8
      ['UNKNOWN_TYPE', variant((e) => (e.type = 'lethe.deletion.cancelled.v1'))],
      ['SCHEMA_VIOLATION', variant((e) => delete data(e).subjectId)], // missing field
      ['SCHEMA_VIOLATION', variant((e) => (data(e).scope = { datasetIds: 'mnist-demo' }))], // wrong type
      ['SCHEMA_VIOLATION', '[1, 2, 3]'], // not an object
      ['PAYLOAD_TOO_LARGE', variant((e) => (e.source = 'x'.repeat(70 * 1024)))],
      ['UNKNOWN_DATASET', variant((e) => (data(e).scope = { datasetIds: ['no-such-dataset'] }))],
      ['UNSUPPORTED_SPECVERSION', variant((e) => (e.specversion = '0.3'))],
      ['SUBJECT_MISMATCH', variant((e) => (e.subject = 'someone-else'))],
      ['DEADLINE_REQUIRED', variant((e) => (data(e).legalBasis = 'contract'))],
      ['UNSUPPORTED_CONTENT_TYPE', variant((e) => (e.datacontenttype = 'text/xml'))],
    ];
    const eventsBefore = await count(t.dataSource, 'SELECT count(*) n FROM events');
    const committedBefore = await committedTotal();
    const valid = deletionEvent('after-the-poison', 'user-8');
    await produce([
      ...cases.map(([code, value]) => ({ key: 'k', value, headers: { 'x-case': code } })),
      { key: 'user-8', value: JSON.stringify(valid) },
    ]);
    const dlq = await readDlq(cases.length, (m) => m.headers['x-case'] !== undefined);
    expect(dlq).toHaveLength(cases.length);
    expect(dlq.map((m) => m.headers[DlqHeaders.errorCode]).sort()).toEqual(
      cases.map(([c]) => c).sort(),
    );
    for (const m of dlq) {
      expect(m.headers[DlqHeaders.errorCode]).toBe(m.headers['x-case']);
      expect(m.headers[DlqHeaders.originalTopic]).toBe(t.topic(Topics.deletionRequests));
      expect(m.headers[DlqHeaders.originalPartition]).toMatch(/^\d+$/);
      expect(m.headers[DlqHeaders.originalOffset]).toMatch(/^\d+$/);
      expect(m.headers[DlqHeaders.errorMessage]?.length).toBeGreaterThan(0);
      expect(m.headers[DlqHeaders.errorMessage]).not.toContain('user-7');
      const original = cases.find(([code]) => code === m.headers['x-case'] && true);
      expect(original).toBeDefined();
    }
    // The original bytes travel unchanged (checked on the byte-exact non-UTF-8 case).
    const raw = dlq.find((m) => m.value?.includes(0xff));
    expect(raw?.value).toEqual(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    // The poison did not block the partition: the valid message behind it was taken in.
    await eventually(
      () => requested(`AND data->>'sourceEventId' = 'after-the-poison'`),
      (n) => n === 1,
      60_000,
    );
    await eventually(committedTotal, (n) => n >= committedBefore + cases.length + 1, 60_000);
    // Nothing else changed: exactly one new event (the valid request).
    expect(await count(t.dataSource, 'SELECT count(*) n FROM events')).toBe(eventsBefore + 1);
  });

  it('answers the same codes over HTTP as problem+json', async () => {
    const res = await request(t.app.getHttpServer())
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send({ ...deletionEvent('http-bad', 'u'), type: 'nope.v1' })
      .expect(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'UNKNOWN_TYPE', status: 400 });
    const unknown = await request(t.app.getHttpServer())
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(deletionEvent('http-bad-2', 'u', { scope: { datasetIds: ['nope'] } }))
      .expect(422);
    expect(unknown.body.code).toBe('UNKNOWN_DATASET');
  });

  describe('the idempotency key is (source, id)', () => {
    const crm = 'urn:app:crm';
    const billing = 'urn:app:billing';
    const api = () => request(t.app.getHttpServer());
    const totals = async () => ({
      events: await count(t.dataSource, 'SELECT count(*) n FROM events'),
      outbox: await count(t.dataSource, 'SELECT count(*) n FROM outbox'),
      streams: await count(t.dataSource, 'SELECT count(*) n FROM streams'),
      view: await count(t.dataSource, 'SELECT count(*) n FROM gov_deletion_requests_view'),
    });

    it('HTTP: the same id from two sources makes two requests; the same pair with other content is a 409 naming the existing request', async () => {
      const first = await api()
        .post('/v1/deletion-requests')
        .set(bearer(KEYS.publisher))
        .send(deletionEvent('order-1', 's-1', { source: crm }))
        .expect(202);
      const second = await api()
        .post('/v1/deletion-requests')
        .set(bearer(KEYS.publisher))
        .send(deletionEvent('order-1', 's-2', { source: billing }))
        .expect(202);
      expect(first.body).toEqual({
        requestId: requestIdFor(crm, 'order-1'),
        status: 'accepted',
        duplicate: false,
      });
      expect(second.body).toEqual({
        requestId: requestIdFor(billing, 'order-1'),
        status: 'accepted',
        duplicate: false,
      });
      expect(await requested(`AND data->>'sourceEventId' = 'order-1'`)).toBe(2);

      const before = await totals();
      const reused = await api()
        .post('/v1/deletion-requests')
        .set(bearer(KEYS.publisher))
        .send(deletionEvent('order-1', 's-2', { source: crm }))
        .expect(409);
      expect(reused.headers['content-type']).toContain('application/problem+json');
      expect(reused.body).toMatchObject({
        status: 409,
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: { requestId: first.body.requestId },
      });
      expect(reused.body.detail).toContain(first.body.requestId);
      expect(JSON.stringify(reused.body)).not.toContain('s-2');
      expect(await totals()).toEqual(before); // nothing else changed
    });

    it('HTTP: the same pair with the same content, written otherwise, is the existing request', async () => {
      const scope = { datasetIds: ['mnist-demo'], recordIds: ['r-2', 'r-1'] };
      const original = deletionEvent('order-2', 's-3', {
        source: crm,
        scope,
        deadline: '2027-01-01T00:00:00Z',
        time: '2026-11-26T12:00:00Z',
      });
      const made = await api()
        .post('/v1/deletion-requests')
        .set(bearer(KEYS.publisher))
        .send(original)
        .expect(202);
      const before = await totals();
      // Key order, set order, instant notation and envelope time differ; the content does not.
      const { data } = original;
      const rewritten = {
        ...original,
        time: '2026-11-27T08:00:00Z',
        data: {
          deadline: '2027-01-01T01:00:00+01:00',
          legalBasis: data.legalBasis,
          scope: { recordIds: ['r-1', 'r-2'], datasetIds: ['mnist-demo'] },
          subjectId: data.subjectId,
        },
      };
      const again = await api()
        .post('/v1/deletion-requests')
        .set(bearer(KEYS.publisher))
        .send(rewritten)
        .expect(202);
      expect(again.body).toEqual({
        requestId: made.body.requestId,
        status: 'accepted',
        duplicate: true,
      });
      expect(await totals()).toEqual(before);
      // A narrower scope under the same key is other content.
      const narrower = await api()
        .post('/v1/deletion-requests')
        .set(bearer(KEYS.publisher))
        .send({ ...original, data: { ...original.data, scope: { datasetIds: ['mnist-demo'] } } })
        .expect(409);
      expect(narrower.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('Kafka: a reused key goes to the DLQ with IDEMPOTENCY_KEY_REUSED, a same-content repeat changes nothing, and the publisher finds its request by (source, id)', async () => {
      const committedBefore = await committedTotal();
      const original = deletionEvent('order-7', 'k-subject-1', { source: billing });
      const sameContent = { ...original, time: '2026-01-01T00:00:00Z' };
      const otherSubject = deletionEvent('order-7', 'k-subject-2', { source: billing });
      const otherBasis = deletionEvent('order-7', 'k-subject-1', {
        source: billing,
        legalBasis: 'ccpa-1798.105',
      });
      // The same id from another source is another request, in the same chunk.
      const otherSource = deletionEvent('order-7', 'k-subject-3', { source: crm });
      const reusesHttp = deletionEvent('order-1', 'k-subject-4', { source: crm });
      // One key for one pair: one partition, so the original is taken in before its repeats.
      await produce([
        { key: 'order-7', value: JSON.stringify(original) },
        { key: 'order-7', value: JSON.stringify(sameContent) },
        { key: 'order-7', value: JSON.stringify(otherSubject), headers: { 'x-reuse': '1' } },
        { key: 'order-7', value: JSON.stringify(otherBasis), headers: { 'x-reuse': '2' } },
        { key: 'k-subject-3', value: JSON.stringify(otherSource) },
        { key: 'k-subject-4', value: JSON.stringify(reusesHttp), headers: { 'x-reuse': '3' } },
      ]);
      await eventually(committedTotal, (n) => n >= committedBefore + 6, 60_000);
      // Every dead letter of this test's keys: exactly the three reused ones (the same-content
      // repeat and the other source's request are not among them).
      const dlq = await readDlq(
        3,
        (m) =>
          m.headers['x-reuse'] !== undefined || (m.value?.toString().includes('order-7') ?? false),
      );
      expect(dlq.map((m) => m.headers['x-reuse']).sort()).toEqual(['1', '2', '3']);
      for (const m of dlq) {
        expect(m.headers[DlqHeaders.errorCode]).toBe('IDEMPOTENCY_KEY_REUSED');
        expect(m.headers[DlqHeaders.originalTopic]).toBe(t.topic(Topics.deletionRequests));
        expect(m.headers[DlqHeaders.originalOffset]).toMatch(/^\d+$/);
        const existing =
          m.headers['x-reuse'] === '3'
            ? requestIdFor(crm, 'order-1')
            : requestIdFor(billing, 'order-7');
        expect(m.headers[DlqHeaders.errorMessage]).toContain(existing);
        expect(JSON.stringify(m.headers)).not.toMatch(/k-subject-\d/);
      }
      // One request per pair; the reused keys and the repeat added nothing.
      const rows = await t.dataSource.query<{ source: string; stream_id: string }[]>(
        `SELECT data->>'source' AS source, stream_id FROM events
          WHERE type = 'DeletionRequested' AND data->>'sourceEventId' = 'order-7' ORDER BY 1`,
      );
      expect(rows).toEqual([
        { source: billing, stream_id: `deletion_request-${requestIdFor(billing, 'order-7')}` },
        { source: crm, stream_id: `deletion_request-${requestIdFor(crm, 'order-7')}` },
      ]);
      expect(await requested(`AND data->>'sourceEventId' = 'order-1'`)).toBe(2);

      // The publisher finds what it sent over Kafka by (source, id).
      const found = await api()
        .get('/v1/deletion-requests')
        .query({ source: billing, eventId: 'order-7' })
        .set(bearer(KEYS.publisher))
        .expect(200);
      expect(found.body).toMatchObject({
        requestId: requestIdFor(billing, 'order-7'),
        source: billing,
        sourceEventId: 'order-7',
        channel: 'kafka',
        status: 'received',
      });
      expect(found.body.subjectRef).toBeUndefined(); // a publisher gets the receipt
      const full = await api()
        .get('/v1/deletion-requests')
        .query({ source: crm, eventId: 'order-7' })
        .set(bearer(KEYS.compliance))
        .expect(200);
      expect(full.body).toMatchObject({
        requestId: requestIdFor(crm, 'order-7'),
        subjectRef: expect.stringMatching(/^sr1_/) as string,
      });
      expect(JSON.stringify([found.body, full.body])).not.toMatch(/k-subject-\d/);
    });

    it('the lookup answers 404 problem+json for an unknown pair, 400 without one, and admits only publisher and compliance', async () => {
      const missing = await api()
        .get('/v1/deletion-requests')
        .query({ source: crm, eventId: 'never-sent' })
        .set(bearer(KEYS.compliance))
        .expect(404);
      expect(missing.headers['content-type']).toContain('application/problem+json');
      expect(missing.body.code).toBe('REQUEST_NOT_FOUND');
      // The same id under another source is not found either.
      await api()
        .get('/v1/deletion-requests')
        .query({ source: 'urn:app:other', eventId: 'order-7' })
        .set(bearer(KEYS.publisher))
        .expect(404);
      const bad = await api()
        .get('/v1/deletion-requests')
        .query({ eventId: 'order-7' })
        .set(bearer(KEYS.publisher))
        .expect(400);
      expect(bad.body.code).toBe('SCHEMA_VIOLATION');
      // Without eventId it is a list, which an unbound publisher key may not read (ADR 0015).
      const list = await api()
        .get('/v1/deletion-requests')
        .query({ source: crm })
        .set(bearer(KEYS.publisher))
        .expect(403);
      expect(list.body.code).toBe('SOURCE_BINDING_REQUIRED');
      await api()
        .get('/v1/deletion-requests')
        .query({ source: crm, eventId: 'order-1' })
        .set(bearer(KEYS.auditor))
        .expect(403);
    });
  });

  it('a consumer killed after its transaction and before its offset commit loses nothing and doubles nothing on restart', async () => {
    // Stop the in-process consumer; a child process takes the partitions and dies mid-way.
    await t.app.get(DeletionRequestsKafkaConsumer).stop();
    const before = await requested();
    const committedBefore = await committedTotal();
    const n = 5000;
    await produce(
      Array.from({ length: n }, (_, i) => ({
        key: `crash-user-${i}`,
        value: JSON.stringify(deletionEvent(`crash-${i}`, `crash-user-${i}`)),
      })),
    );
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        path.join(__dirname, 'support/crashing-intake.process.ts'),
      ],
      {
        cwd: path.resolve(__dirname, '../../..'),
        env: {
          ...process.env,
          DATABASE_URL: t.databaseUrl,
          KAFKA_BROKERS: t.brokers.join(','),
          NAMESPACE: t.namespace,
          CRASH_ON_COMMIT: '2',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, sig) => resolve(sig)),
    );
    expect(output).toContain('crashing before offset commit 2');
    expect(signal).toBe('SIGKILL');

    const durableAtCrash = (await requested()) - before;
    const committedAtCrash = (await committedTotal()) - committedBefore;
    // The crash left events durable whose offsets were never committed.
    expect(durableAtCrash).toBeGreaterThan(committedAtCrash);

    await t.app.get(DeletionRequestsKafkaConsumer).start();
    await eventually(committedTotal, (c) => c >= committedBefore + n, 120_000);
    expect((await requested()) - before).toBe(n);
    expect(
      await count(
        t.dataSource,
        `SELECT count(*) n FROM (SELECT stream_id FROM events WHERE type = 'DeletionRequested' GROUP BY stream_id HAVING count(*) > 1) d`,
      ),
    ).toBe(0);
  });
});
