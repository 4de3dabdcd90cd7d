import request from 'supertest';
import type { Consumer } from 'kafkajs';
import {
  SubjectId,
  Topics,
  TRAINING_JOB_TYPE_V1,
  UNLEARNING_JOB_TYPE_V1,
  type JobMessageV1,
  type TrainingJobDataV1,
  type UnlearningJobDataV1,
  type UnlearningResultDataV1,
  UNLEARNING_RESULT_TYPE_V1,
  unlearningResultMessageId,
} from '@lethe/shared';
import { RecordsStore } from '../src/application/ports/records-store.port';
import { HmacSubjectPseudonymizer } from '../src/infrastructure/crypto/hmac-subject-pseudonymizer';
import {
  bearer,
  count,
  deletionEvent,
  eventually,
  HMAC_KEY,
  KEYS,
  startGovernance,
  type GovernanceTestApp,
} from './harness';

jest.setTimeout(240_000);

const SOURCE = {
  kind: 'file',
  format: 'csv',
  path: 'credit/train.csv',
  recordIdColumn: 'record_id',
  labelColumn: 'label',
};
const PROFILE = {
  architecture: { kind: 'logistic-regression' },
  recipe: { epochs: 5 },
  policy: { methods: ['newton', 'retrain'], target: { epsilon: 1, delta: 1e-6 } },
};

/**
 * The policy per model (`PUT /v1/models/:id/policy`) and the erased records a training job
 * excludes, on real PostgreSQL and Kafka: the policy is validated with the worker's schema
 * (coded 400, nothing recorded), shown on GET /v1/models/:id with its revision, and carried by
 * the unlearning jobs dispatched after the change; a training job names every erased record of
 * its datasets as `excludedRecords`.
 */
describe('model policy, training retries and excluded records (real Postgres + Kafka)', () => {
  let t: GovernanceTestApp;
  let jobsConsumer: Consumer;
  const jobs: JobMessageV1[] = [];
  const http = () => request(t.app.getHttpServer());
  type ModelView = { policy: ({ revision: number } & Record<string, unknown>) | null };
  /** GET /v1/models/:id once the read model shows what `done` waits for (projections lag). */
  const getModel = (modelId: string, done: (m: ModelView) => boolean = () => true) =>
    eventually(
      async () => {
        const r = await http().get(`/v1/models/${modelId}`).set(bearer(KEYS.admin));
        return r.status === 200 ? (r.body as ModelView) : null;
      },
      (m): m is ModelView => m !== null && done(m),
      30_000,
    ) as Promise<ModelView>;
  const eventCount = () => count(t.dataSource, 'SELECT count(*) n FROM events');
  const put = (modelId: string, body: unknown, key = KEYS.admin) =>
    http()
      .put(`/v1/models/${modelId}/policy`)
      .set(bearer(key))
      .send(body as object);

  beforeAll(async () => {
    t = await startGovernance({
      scheduling: { coalesceWindowMs: 100, tickMs: 100 },
      results: { progressIntervalMs: 0 },
    });
    jobsConsumer = t.kafka.consumer({ groupId: `${t.namespace}test-jobs` });
    await jobsConsumer.connect();
    await jobsConsumer.subscribe({ topic: t.topic(Topics.unlearningJobs), fromBeginning: true });
    await jobsConsumer.run({
      eachMessage: async ({ message }) => {
        jobs.push(JSON.parse(message.value?.toString('utf8') ?? 'null') as JobMessageV1);
      },
    });
    // A dataset trained elsewhere (no source: version 1 at once) and a sourced one.
    for (const [datasetId, source] of [
      ['loans', undefined],
      ['credit', SOURCE],
    ] as const) {
      await http()
        .post('/v1/datasets')
        .set(bearer(KEYS.admin))
        .send({ datasetId, name: datasetId, ...(source ? { source } : {}) })
        .expect(201);
      await http()
        .post(`/v1/datasets/${datasetId}/records`)
        .set(bearer(KEYS.admin))
        .send(
          Array.from({ length: 8 }, (_, i) => ({
            recordId: `r-${i}`,
            subjectId: `${datasetId}-user-${i % 4}`,
            features: [i, 1],
            label: i % 2,
          })),
        )
        .expect(200);
    }
  });

  afterAll(async () => {
    await jobsConsumer?.disconnect().catch(() => undefined);
    await t?.close();
  });

  it('a registration with a profile the worker would refuse is a coded 400, and nothing is recorded', async () => {
    const before = await eventCount();
    const res = await http()
      .post('/v1/models')
      .set(bearer(KEYS.admin))
      .send({
        modelId: 'loans-bad',
        name: 'x',
        training: { datasetIds: ['loans'] },
        profile: { policy: { methods: ['magic'] } },
      })
      .expect(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('INVALID_POLICY');
    expect(await eventCount()).toBe(before);
    await http().get('/v1/models/loans-bad').set(bearer(KEYS.admin)).expect(404);
  });

  it('shows the registered policy (revision 0, defaults filled in) and replaces it with PUT', async () => {
    await http()
      .post('/v1/models')
      .set(bearer(KEYS.admin))
      .send({
        modelId: 'loans-lr',
        name: 'Loans',
        training: { datasetIds: ['loans'] },
        profile: PROFILE,
      })
      .expect(201);
    expect((await getModel('loans-lr')).policy).toMatchObject({
      revision: 0,
      methods: ['newton', 'retrain'],
      target: { epsilon: 1, delta: 1e-6 },
      newton: { damping: expect.any(Number) as number },
    });

    const changed = await put('loans-lr', {
      methods: ['retrain'],
      target: { epsilon: 0.5, delta: 1e-7 },
      accuracyFloor: 0.7,
      cumulativeBudget: { epsilon: 8, delta: 1e-5 },
    }).expect(200);
    expect(changed.body).toMatchObject({
      modelId: 'loans-lr',
      revision: 1,
      changed: true,
      policy: { methods: ['retrain'], accuracyFloor: 0.7 },
    });
    expect((await getModel('loans-lr', (m) => m.policy?.revision === 1)).policy).toMatchObject({
      revision: 1,
      methods: ['retrain'],
      target: { epsilon: 0.5, delta: 1e-7 },
      cumulativeBudget: { epsilon: 8, delta: 1e-5 },
    });
    // The same policy again: 200, unchanged, no event.
    const before = await eventCount();
    const again = await put('loans-lr', changed.body.policy).expect(200);
    expect(again.body).toMatchObject({ revision: 1, changed: false });
    expect(await eventCount()).toBe(before);
  });

  it('bad policies are coded errors and change nothing', async () => {
    const before = await eventCount();
    const cases: [unknown, number, string][] = [
      [{ methods: ['magic'] }, 400, 'INVALID_POLICY'],
      [{ methods: [] }, 400, 'INVALID_POLICY'],
      [{ methods: ['newton', 'newton'] }, 400, 'INVALID_POLICY'],
      [{ target: { epsilon: -1, delta: 1e-5 } }, 400, 'INVALID_POLICY'],
      [{ target: { epsilon: 1, delta: 1 } }, 400, 'INVALID_POLICY'],
      [{ accuracyFloor: 1.5 }, 400, 'INVALID_POLICY'],
      [{ cumulativeBudget: { epsilon: 0, delta: 1e-5 } }, 400, 'INVALID_POLICY'],
      [{ unknownKnob: true }, 400, 'INVALID_POLICY'],
      [[1, 2], 400, 'INVALID_POLICY'],
    ];
    for (const [body, status, code] of cases) {
      const res = await put('loans-lr', body).expect(status);
      expect(res.body.code).toBe(code);
    }
    expect((await put('nope', { methods: ['retrain'] }).expect(404)).body.code).toBe(
      'MODEL_NOT_FOUND',
    );
    await put('loans-lr', { methods: ['retrain'] }, KEYS.publisher).expect(403);
    await put('loans-lr', { methods: ['retrain'] }, KEYS.compliance).expect(403);
    expect(await eventCount()).toBe(before);
    expect((await getModel('loans-lr')).policy).toMatchObject({
      revision: 1,
      methods: ['retrain'],
    });
  });

  it('the unlearning jobs dispatched after the change carry the policy and its revision', async () => {
    await http()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(deletionEvent('policy-1', 'loans-user-1', { scope: { datasetIds: ['loans'] } }))
      .expect(202);
    const message = await eventually(
      () =>
        Promise.resolve(
          jobs.find((j) => j.type === UNLEARNING_JOB_TYPE_V1 && j.data.modelId === 'loans-lr'),
        ),
      (j) => j !== undefined,
      60_000,
    );
    const job = message!.data as UnlearningJobDataV1;
    expect(job.policyRevision).toBe(1);
    expect(job.policy).toMatchObject({
      methods: ['retrain'],
      target: { epsilon: 0.5, delta: 1e-7 },
      accuracyFloor: 0.7,
    });
  });

  it('a training job: progress on GET /v1/jobs/:id, a retryable failure retried after its backoff, a final one retried by ml-admin', async () => {
    const producer = t.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const publish = (d: UnlearningResultDataV1) =>
      producer.send({
        topic: t.topic(Topics.unlearningResults),
        acks: -1,
        messages: [
          {
            key: d.modelId,
            value: JSON.stringify({
              specversion: '1.0',
              id: unlearningResultMessageId(d),
              source: `urn:lethe:unlearning-worker:${d.workerId}`,
              type: UNLEARNING_RESULT_TYPE_V1,
              subject: d.modelId,
              time: d.at,
              datacontenttype: 'application/json',
              data: d,
            }),
          },
        ],
      });
    try {
      const registered = await http()
        .post('/v1/models')
        .set(bearer(KEYS.admin))
        .send({ modelId: 'credit-retry', name: 'R', training: { datasetIds: ['credit'] } })
        .expect(201);
      const jobId = registered.body.trainingJobId as string;
      const base = (attempt: number) => ({
        jobId,
        modelId: 'credit-retry',
        attempt,
        workerId: 'worker-test',
        at: new Date().toISOString(),
      });
      type TrainingJobView = {
        kind: string;
        status: string;
        attempt: number;
        progress: { stage: string; done: number; total: number | null } | null;
        reason: string | null;
      };
      const getJob = (done: (j: TrainingJobView) => boolean = () => true) =>
        eventually(
          async () => {
            const r = await http().get(`/v1/jobs/${jobId}`).set(bearer(KEYS.compliance));
            return r.status === 200 ? (r.body as TrainingJobView) : null;
          },
          (j) => j !== null && done(j),
          60_000,
        ) as Promise<TrainingJobView>;
      expect(await getJob()).toMatchObject({ kind: 'training', status: 'scheduled', attempt: 1 });

      await publish({ ...base(1), kind: 'progress', seq: 1, stage: 'training', done: 3, total: 8 });
      const progressed = await getJob((j) => j.progress !== null);
      expect(progressed.progress).toMatchObject({ stage: 'training', done: 3, total: 8 });

      // Retryable: retry-wait, then attempt 2 goes out after the backoff (200 ms in the harness).
      await publish({
        ...base(1),
        kind: 'failed',
        code: 'WORKER_INTERNAL_ERROR',
        reason: 'boom',
        retryable: true,
      });
      const second = await eventually(
        () =>
          Promise.resolve(
            jobs.filter((j) => j.type === TRAINING_JOB_TYPE_V1 && j.data.jobId === jobId) as {
              data: TrainingJobDataV1;
            }[],
          ),
        (js) => js.length === 2,
        60_000,
      );
      expect(second.map((j) => j.data.attempt)).toEqual([1, 2]);
      expect(second[1]!.data).toMatchObject({
        modelId: 'credit-retry',
        version: 1,
        datasets: [{ datasetId: 'credit', source: SOURCE }],
      });
      expect(await getJob((j) => j.attempt === 2)).toMatchObject({
        status: 'scheduled',
        attempt: 2,
        progress: null,
      });

      // Not retryable: failed for good, until ml-admin retries it (attempt 3).
      await publish({
        ...base(2),
        kind: 'failed',
        code: 'JOB_INVALID_PROFILE',
        reason: 'bad',
        retryable: false,
      });
      const failed = await getJob((j) => j.status === 'failed');
      expect(failed.reason).toContain('JOB_INVALID_PROFILE');
      await http().post(`/v1/jobs/${jobId}/retry`).set(bearer(KEYS.publisher)).expect(403);
      await http().post(`/v1/jobs/${jobId}/retry`).set(bearer(KEYS.admin)).expect(202);
      await eventually(
        () =>
          Promise.resolve(
            jobs.filter((j) => j.type === TRAINING_JOB_TYPE_V1 && j.data.jobId === jobId).length,
          ),
        (n) => n === 3,
        60_000,
      );
      expect(await getJob((j) => j.attempt === 3)).toMatchObject({
        status: 'scheduled',
        attempt: 3,
      });
      // A training in progress is not retried.
      const again = await http()
        .post(`/v1/jobs/${jobId}/retry`)
        .set(bearer(KEYS.admin))
        .expect(409);
      expect(again.body.code).toBe('JOB_NOT_RETRYABLE');
    } finally {
      await producer.disconnect();
    }
  });

  it('a training job excludes every erased record of its datasets', async () => {
    // Erase one subject's records of `credit` the way the erasure does (tombstones left).
    const records = t.app.get(RecordsStore);
    const subjectRef = new HmacSubjectPseudonymizer(HMAC_KEY).refOf(SubjectId('credit-user-1'));
    const erased = await t.dataSource.transaction((m) =>
      records.erase(m, subjectRef, { datasetIds: ['credit'], recordIds: null }),
    );
    expect(erased.map((r) => r.recordId).sort()).toEqual(['r-1', 'r-5']);

    await http()
      .post('/v1/models')
      .set(bearer(KEYS.admin))
      .send({ modelId: 'credit-lr', name: 'Credit', training: { datasetIds: ['credit'] } })
      .expect(201);
    const message = await eventually(
      () =>
        Promise.resolve(
          jobs.find((j) => j.type === TRAINING_JOB_TYPE_V1 && j.data.modelId === 'credit-lr'),
        ),
      (j) => j !== undefined,
      60_000,
    );
    const job = message!.data as TrainingJobDataV1;
    expect(job.excludedRecords).toEqual([
      { datasetId: 'credit', recordId: 'r-1' },
      { datasetId: 'credit', recordId: 'r-5' },
    ]);
    // A record registered again after its erasure is live again: not excluded any more.
    await http()
      .post('/v1/datasets/credit/records')
      .set(bearer(KEYS.admin))
      .send([{ recordId: 'r-5', subjectId: 'credit-user-9', features: [5, 1], label: 1 }])
      .expect(200);
    expect(await t.dataSource.transaction((m) => records.erasedIn(m, ['credit']))).toEqual([
      { datasetId: 'credit', recordId: 'r-1' },
    ]);
  });
});
