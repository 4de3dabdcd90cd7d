import { createTestDatabase, freePort, testKafka, type TestDatabase } from '@lethe/local-infra';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { type AppProcess, startApp, waitForHttp } from './support/app-process';
import { pollUntil } from './support/unlearning-loop';

jest.setTimeout(180_000);

const KEYS = {
  publisher: 'crm-key-0000000001',
  admin: 'ml-key-00000000001',
  compliance: 'dpo-key-0000000001',
};

/**
 * Black-box: the governance service as a process, on real Postgres and Kafka. A dataset and a
 * model are registered over HTTP; deletion requests arrive over HTTP and Kafka; both are
 * coalesced into one unlearning job on `lethe.unlearning-jobs.v1`; the raw subject ids never
 * reach the logs, the job message or the governance events.
 */
describe('governance: deletion request to unlearning job (e2e)', () => {
  let db: TestDatabase;
  let app: AppProcess;
  let base: string;
  const { brokers, namespace } = testKafka();
  const kafka = new Kafka({ clientId: `${namespace}e2e`, brokers, logLevel: logLevel.NOTHING });
  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const event = (id: string, subjectId: string) => ({
    specversion: '1.0',
    id,
    source: 'urn:lethe:app:crm',
    type: 'lethe.deletion.requested.v1',
    subject: subjectId,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { subjectId, scope: { datasetIds: ['mnist-demo'] }, legalBasis: 'gdpr-art-17' },
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = startApp('governance', {
      PORT: String(port),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: brokers.join(','),
      LETHE_TOPIC_NAMESPACE: namespace,
      LETHE_API_KEYS: `crm:${KEYS.publisher}:publisher,ml:${KEYS.admin}:ml-admin,dpo:${KEYS.compliance}:compliance`,
      LETHE_SUBJECT_HMAC_KEY: 'e2e-subject-hmac-key-0123456789abcdef',
      // The job opens when both requests are queued (the full-batch rule), not when a window that
      // a loaded machine may outrun closes: coalescing is proved exactly, not by timing.
      LETHE_COALESCE_WINDOW_MS: '600000',
      LETHE_MAX_REQUESTS_PER_JOB: '2',
      LETHE_SCHEDULER_TICK_MS: '100',
      LETHE_INTAKE_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'info',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    });
    await waitForHttp(`${base}/health`, 180_000, app);
  }, 240_000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  }, 60_000);

  it('registers lineage, takes requests from both doors, and dispatches one coalesced job', async () => {
    expect(
      (await call('POST', '/v1/datasets', KEYS.admin, { datasetId: 'mnist-demo', name: 'MNIST' }))
        .status,
    ).toBe(201);
    const records = Array.from({ length: 12 }, (_, i) => ({
      recordId: `r-${i}`,
      subjectId: `person-${i % 3}`,
      features: [i / 10, 1 - i / 10],
      label: i % 2,
    }));
    expect(
      (await call('POST', '/v1/datasets/mnist-demo/records', KEYS.admin, records)).body,
    ).toMatchObject({ added: 12 });
    const model = await call('POST', '/v1/models', KEYS.admin, {
      modelId: 'mnist-mlp',
      name: 'MNIST MLP',
      training: { datasetIds: ['mnist-demo'] },
    });
    expect(model.status).toBe(201);

    const jobs: {
      key: string;
      value: { data: { requestIds: string[]; records: unknown[]; subjectRefs: string[] } };
    }[] = [];
    const raw: string[] = [];
    const consumer = kafka.consumer({ groupId: `${namespace}e2e-reader`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({
      topic: `${namespace}lethe.unlearning-jobs.v1`,
      fromBeginning: true,
    });
    await consumer.subscribe({
      topic: `${namespace}lethe.governance-events.v1`,
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const text = message.value?.toString() ?? '';
        raw.push(text);
        if (topic.endsWith('unlearning-jobs.v1')) {
          jobs.push({
            key: message.key?.toString() ?? '',
            value: JSON.parse(text) as (typeof jobs)[number]['value'],
          });
        }
      },
    });

    const viaHttp = await call(
      'POST',
      '/v1/deletion-requests',
      KEYS.publisher,
      event('e2e-http-1', 'person-1'),
    );
    expect(viaHttp.status).toBe(202);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: `${namespace}lethe.deletion-requests.v1`,
      messages: [{ key: 'person-2', value: JSON.stringify(event('e2e-kafka-1', 'person-2')) }],
    });
    await producer.disconnect();

    const deadline = Date.now() + 60_000;
    while (jobs.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.key).toBe('mnist-mlp');
    expect(jobs[0]?.value.data.requestIds).toHaveLength(2);
    expect(jobs[0]?.value.data.records).toHaveLength(8);
    expect(jobs[0]?.value.data.subjectRefs.every((r) => r.startsWith('sr1_'))).toBe(true);

    // The views follow the events on their own loops: the job message may arrive first.
    const status = await pollUntil(
      'the request view: scheduled',
      () => call('GET', `/v1/deletion-requests/${String(viaHttp.body.requestId)}`, KEYS.compliance),
      (r) => r.body['status'] === 'scheduled',
      30_000,
    );
    expect(status.body).toMatchObject({
      status: 'scheduled',
      overdue: false,
      deadlineBasis: 'gdpr',
    });
    const modelView = await pollUntil(
      'the model view: job dispatched',
      () => call('GET', '/v1/models/mnist-mlp', KEYS.compliance),
      (r) => (r.body['jobs'] as { status?: string }[] | undefined)?.[0]?.status === 'dispatched',
      30_000,
    );
    expect(modelView.body).toMatchObject({
      currentVersion: 1,
      jobs: [{ status: 'dispatched', requestCount: 2 }],
    });

    // Invariant 4: raw subject ids never in a Kafka message or a log line.
    for (const text of [...raw, app.output()]) expect(text).not.toMatch(/person-[0-9]/);
  });
});
