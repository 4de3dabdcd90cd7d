import request from 'supertest';
import { OUTBOX_EVENT_RELATION, outboxValueSql } from '@lethe/event-store';
import { GOVERNANCE_EVENT_VALUES } from '../src/application/messages/governance-cloud-event';
import { JobId, ModelId, SubjectId, SubjectRef, type DeletionRequestId } from '@lethe/shared';
import { CommandBus } from '@nestjs/cqrs';
import {
  EraseSubjectRecordsCommand,
  GovernanceProjections,
  READ_MODELS,
  RecordJobResultCommand,
  ScheduleUnlearningJobsCommand,
} from '../src';
import { modelDecider } from '../src/domain/model/model.decider';
import { streams } from '../src/domain/shared/stream-names';
import { runGovernanceTransaction } from '../src/application/unit-of-work/governance-transaction';
import { HmacSubjectPseudonymizer } from '../src/infrastructure/crypto/hmac-subject-pseudonymizer';
import {
  bearer,
  count,
  deletionEvent,
  HMAC_KEY,
  KEYS,
  startGovernance,
  type GovernanceTestApp,
} from './harness';

jest.setTimeout(120_000);

const COALESCE_MS = 60_000;
const BACKOFF_MS = 60_000;

/** Lineage → scheduling → results → certification, on real Postgres (no Kafka in this file). */
describe('governance lifecycle (real Postgres)', () => {
  let t: GovernanceTestApp;
  let bus: CommandBus;
  let projections: GovernanceProjections;
  const http = () => request(t.app.getHttpServer());
  // Twice: the lineage resolver appends events that the read models then take in.
  const settle = async () => {
    await projections.runner.catchUp(undefined, 30_000);
    await projections.runner.catchUp(undefined, 30_000);
  };
  const schedule = () => bus.execute(new ScheduleUnlearningJobsCommand());
  const getRequest = async (id: string) =>
    (await http().get(`/v1/deletion-requests/${id}`).set(bearer(KEYS.compliance)).expect(200))
      .body as {
      status: string;
      reason: string | null;
      overdue: boolean;
      deadline: string;
      models: { modelId: string; status: string; jobId: string | null }[];
      certificateIds: string[];
      history: { type: string }[];
      recordsErased: boolean;
    };
  /** Every subject id this file sent in a deletion request. */
  const sentSubjects = new Set<string>();
  const post = async (event: ReturnType<typeof deletionEvent>) => {
    sentSubjects.add(event.data.subjectId);
    return (
      await http().post('/v1/deletion-requests').set(bearer(KEYS.publisher)).send(event).expect(202)
    ).body as { requestId: DeletionRequestId; duplicate: boolean };
  };

  beforeAll(async () => {
    // Windows far longer than a step of this file takes on a loaded machine: only the test clock
    // (advanced by hand) moves the scheduler past them, never the time the steps take.
    t = await startGovernance({
      withKafka: false,
      run: { projections: false, scheduler: false },
      scheduling: {
        coalesceWindowMs: COALESCE_MS,
        backoff: { baseDelayMs: BACKOFF_MS, maxDelayMs: 2 * BACKOFF_MS },
      },
    });
    bus = t.app.get(CommandBus);
    projections = t.app.get(GovernanceProjections);

    await http()
      .post('/v1/datasets')
      .set(bearer(KEYS.admin))
      .send({ datasetId: 'mnist-demo', name: 'MNIST demo' })
      .expect(201);
    const records = Array.from({ length: 20 }, (_, i) => ({
      recordId: `r-${i}`,
      subjectId: `user-${i % 5}`,
      features: [i, i + 0.5, 1],
      label: i % 10,
    }));
    const added = await http()
      .post('/v1/datasets/mnist-demo/records')
      .set(bearer(KEYS.admin))
      .send(records.slice(0, 10))
      .expect(200);
    expect(added.body).toMatchObject({ added: 10, unchanged: 0 });
    const ndjson = records
      .slice(5)
      .map((r) => JSON.stringify(r))
      .join('\n');
    const streamed = await http()
      .post('/v1/datasets/mnist-demo/records')
      .set(bearer(KEYS.admin))
      .set('Content-Type', 'application/x-ndjson')
      .send(ndjson)
      .expect(200);
    expect(streamed.body).toMatchObject({ added: 10, unchanged: 5 });
    const model = await http()
      .post('/v1/models')
      .set(bearer(KEYS.admin))
      .send({ modelId: 'mnist-mlp', name: 'MNIST MLP', training: { datasetIds: ['mnist-demo'] } })
      .expect(201);
    expect(model.body).toMatchObject({
      modelId: 'mnist-mlp',
      version: 1,
      trainingSet: { recordCount: 20 },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('refuses bad registry input with coded problem+json', async () => {
    const dup = await http()
      .post('/v1/datasets')
      .set(bearer(KEYS.admin))
      .send({ datasetId: 'mnist-demo', name: 'again' })
      .expect(409);
    expect(dup.headers['content-type']).toContain('application/problem+json');
    expect(dup.body.code).toBe('DATASET_ALREADY_EXISTS');
    const conflict = await http()
      .post('/v1/datasets/mnist-demo/records')
      .set(bearer(KEYS.admin))
      .send([{ recordId: 'r-0', subjectId: 'someone-else', features: [1], label: 1 }])
      .expect(409);
    expect(conflict.body.code).toBe('RECORD_CONFLICT');
    const badRecord = await http()
      .post('/v1/datasets/mnist-demo/records')
      .set(bearer(KEYS.admin))
      .send([{ recordId: 'x', subjectId: 's', features: 'nope', label: 1 }])
      .expect(400);
    expect(badRecord.body.code).toBe('INVALID_RECORDS');
    const unknownModelData = await http()
      .post('/v1/models')
      .set(bearer(KEYS.admin))
      .send({
        modelId: 'm2',
        name: 'x',
        training: { records: [{ datasetId: 'mnist-demo', recordId: 'nope' }] },
      })
      .expect(422);
    expect(unknownModelData.body.code).toBe('UNKNOWN_RECORD');
    await http().post('/v1/models').set(bearer(KEYS.publisher)).send({}).expect(403);
    await http().post('/v1/deletion-requests').send(deletionEvent('x', 'y')).expect(401);
  });

  it('takes a request from received through scheduled and unlearning to certified, coalescing requests into one job', async () => {
    const a = await post(deletionEvent('evt-a', 'user-1'));
    const b = await post(
      deletionEvent('evt-b', 'user-2', { scope: { datasetIds: ['mnist-demo'] } }),
    );
    const none = await post(deletionEvent('evt-none', 'nobody'));
    expect(a.duplicate).toBe(false);
    await settle();

    expect(await getRequest(none.requestId)).toMatchObject({
      status: 'no-records',
      reason: 'no records of the subject in scope',
    });
    const receivedA = await getRequest(a.requestId);
    expect(receivedA.status).toBe('received');
    expect(receivedA.models).toEqual([
      expect.objectContaining({ modelId: 'mnist-mlp', status: 'pending' }),
    ]);

    // Inside the coalescing window nothing is opened; after it, one job takes both requests.
    expect((await schedule()).jobsOpened).toBe(0);
    t.clock.advance(COALESCE_MS + 1_000);
    expect((await schedule()).jobsOpened).toBe(1);
    await settle();
    const [scheduledA, scheduledB] = [await getRequest(a.requestId), await getRequest(b.requestId)];
    expect(scheduledA.status).toBe('scheduled');
    expect(scheduledB.status).toBe('scheduled');
    const jobId = scheduledA.models[0]?.jobId;
    expect(jobId).toBeTruthy();
    expect(scheduledB.models[0]?.jobId).toBe(jobId);

    // The job message went into the outbox (same transaction), keyed by model, with the records.
    const [msg] = await t.dataSource.query<
      {
        key: string;
        value: {
          type: string;
          data: { attempt: number; records: unknown[]; requestIds: string[] };
        };
      }[]
    >(
      `SELECT key, convert_from(value, 'UTF8')::jsonb AS value FROM outbox WHERE topic = 'lethe.unlearning-jobs.v1'`,
    );
    expect(msg?.key).toBe('mnist-mlp');
    expect(msg?.value.type).toBe('lethe.unlearning.job.v1');
    expect(msg?.value.data.attempt).toBe(1);
    expect(msg?.value.data.requestIds.sort()).toEqual([a.requestId, b.requestId].sort());
    expect(msg?.value.data.records).toHaveLength(8); // user-1 and user-2 own 4 records each

    const job = JobId(jobId as string);
    await bus.execute(
      new RecordJobResultCommand(job, 1, { kind: 'started', workerId: 'w1' }, 'system:test', 'c'),
    );
    await settle();
    expect((await getRequest(a.requestId)).status).toBe('unlearning');
    const done = { kind: 'succeeded' as const, versionAfter: 2, certificateId: null };
    await bus.execute(new RecordJobResultCommand(job, 1, done, 'system:test', 'c'));
    await bus.execute(new RecordJobResultCommand(job, 1, done, 'system:test', 'c')); // redelivered: no-op
    await settle();
    const certified = await getRequest(a.requestId);
    expect(certified).toMatchObject({
      status: 'certified',
      reason: 'unlearned from 1 model(s)',
      overdue: false,
    });
    expect(certified.history.map((h) => h.type)).toEqual([
      'DeletionRequested',
      'LineageResolved',
      'UnlearningScheduled',
      'UnlearningStarted',
      'ModelUnlearned',
    ]);

    const model = await http().get('/v1/models/mnist-mlp').set(bearer(KEYS.compliance)).expect(200);
    expect(model.body.currentVersion).toBe(2);
    expect(model.body.versions.map((v: { recordCount: number }) => v.recordCount)).toEqual([
      20, 12,
    ]);
    expect(model.body.inFlightJobId).toBeNull();
    const jobView = await http().get(`/v1/jobs/${job}`).set(bearer(KEYS.admin)).expect(200);
    expect(jobView.body).toMatchObject({ status: 'succeeded', versionAfter: 2, attempt: 1 });

    // Erasure after certification: records gone, the fact recorded with the subject reference only.
    const erased = await bus.execute(
      new EraseSubjectRecordsCommand(a.requestId, 'system:test', 'c'),
    );
    expect(erased.erased).toBe(4);
    expect(
      await count(t.dataSource, "SELECT count(*) n FROM gov_records WHERE subject_id = 'user-1'"),
    ).toBe(0);
    await settle();
    expect((await getRequest(a.requestId)).recordsErased).toBe(true);
    const refuse = bus.execute(new EraseSubjectRecordsCommand(none.requestId, 'system:test', 'c'));
    await expect(refuse).rejects.toMatchObject({ code: 'REQUEST_NOT_CERTIFIED' });
  });

  it('retries a failing job with backoff, ends it failed with its reason, and lets an admin retry it', async () => {
    const d = await post(deletionEvent('evt-d', 'user-3'));
    await settle();
    t.clock.advance(COALESCE_MS + 1_000);
    expect((await schedule()).jobsOpened).toBe(1);
    await settle();
    const job = JobId((await getRequest(d.requestId)).models[0]?.jobId as string);
    const fail = { kind: 'failed' as const, reason: 'worker ran out of memory', retryable: true };
    for (let attempt = 1; attempt <= 3; attempt++) {
      await bus.execute(new RecordJobResultCommand(job, attempt, fail, 'system:test', 'c'));
      await settle();
      if (attempt < 3) {
        expect((await schedule()).jobsDispatched).toBe(0); // backoff not elapsed
        t.clock.advance(2 * BACKOFF_MS + 1_000); // the longest backoff, 2 · base
        expect((await schedule()).jobsDispatched).toBe(1);
      }
    }
    await settle();
    const failed = await getRequest(d.requestId);
    expect(failed.status).toBe('failed');
    expect(failed.reason).toBe(
      'model mnist-mlp: worker ran out of memory (gave up after 3 attempt(s))',
    );
    const jobView = (await http().get(`/v1/jobs/${job}`).set(bearer(KEYS.admin)).expect(200)).body;
    expect(jobView).toMatchObject({ status: 'failed', attempt: 3 });

    await http().post(`/v1/jobs/${job}/retry`).set(bearer(KEYS.compliance)).expect(403);
    await http().post(`/v1/jobs/${job}/retry`).set(bearer(KEYS.admin)).expect(202);
    // Read-your-writes (ADR 0005): no projection has run since the retry, yet every view it
    // touched shows it, the job's history included.
    const retried = (await http().get(`/v1/jobs/${job}`).set(bearer(KEYS.admin)).expect(200))
      .body as { status: string; history: { type: string; status: string }[] };
    expect(retried.status).toBe('awaiting-dispatch');
    expect(retried.history.at(-1)).toMatchObject({ status: 'awaiting-dispatch' });
    expect((await getRequest(d.requestId)).status).toBe('scheduled');
    const retriedRows = await t.dataSource.query<unknown[]>(
      `SELECT 'job' AS v, to_jsonb(j) AS row FROM gov_jobs_view j WHERE job_id = $1
       UNION ALL SELECT 'request', to_jsonb(r) FROM gov_deletion_requests_view r WHERE request_id = $2
       UNION ALL SELECT 'model', to_jsonb(m) FROM gov_models_view m WHERE model_id = 'mnist-mlp'
       ORDER BY 1`,
      [job, d.requestId],
    );
    await settle(); // the subscription, catching up, finds the rows written and leaves them as they are
    expect(
      await t.dataSource.query<unknown[]>(
        `SELECT 'job' AS v, to_jsonb(j) AS row FROM gov_jobs_view j WHERE job_id = $1
         UNION ALL SELECT 'request', to_jsonb(r) FROM gov_deletion_requests_view r WHERE request_id = $2
         UNION ALL SELECT 'model', to_jsonb(m) FROM gov_models_view m WHERE model_id = 'mnist-mlp'
         ORDER BY 1`,
        [job, d.requestId],
      ),
    ).toEqual(retriedRows);
    const again = await http().post(`/v1/jobs/${job}/retry`).set(bearer(KEYS.admin)).expect(202);
    expect(again.body.status).toBe('awaiting-dispatch');
    await settle();
    expect((await getRequest(d.requestId)).status).toBe('scheduled');
    expect((await schedule()).jobsOpened).toBe(1); // resumed: the model slot goes to the retried job
    await bus.execute(
      new RecordJobResultCommand(
        job,
        4,
        { kind: 'succeeded', versionAfter: 3, certificateId: null },
        's',
        'c',
      ),
    );
    await settle();
    expect((await getRequest(d.requestId)).status).toBe('certified');
    const done = await http().post(`/v1/jobs/${job}/retry`).set(bearer(KEYS.admin)).expect(409);
    expect(done.body.code).toBe('JOB_NOT_RETRYABLE');
  });

  it('computes the statutory deadline and flags an overdue request', async () => {
    const gdpr = await post(
      deletionEvent('evt-gdpr', 'nobody-1', { time: '2026-01-31T10:00:00Z' }),
    );
    const late = await post(
      deletionEvent('evt-late', 'user-4', {
        legalBasis: 'contract',
        deadline: '2020-01-01T00:00:00Z',
      }),
    );
    await settle();
    const g = await getRequest(gdpr.requestId);
    expect(g.deadline).toBe('2026-02-28T10:00:00.000Z');
    expect(g.overdue).toBe(false); // settled as no-records
    const l = await getRequest(late.requestId);
    expect(l).toMatchObject({
      status: 'received',
      overdue: true,
      deadline: '2020-01-01T00:00:00.000Z',
    });
  });

  it('two concurrent writers on one stream: one wins, the other retries on the new version', async () => {
    const modelId = ModelId('mnist-mlp');
    let attempts = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((r) => (release = r));
    let reads = 0;
    const writer = (n: number) =>
      runGovernanceTransaction(
        t.dataSource,
        { correlationId: 'race', causationId: null, actor: 'system:test' },
        async (tx) => {
          attempts += 1;
          await tx.state(streams.model(modelId), modelDecider);
          reads += 1;
          if (reads === 2) release();
          // Both have read before either decides (no timeout: a slow second reader would
          // otherwise see the first one's commit and never conflict). The retry finds it resolved.
          await bothRead;
          await tx.decide(streams.model(modelId), modelDecider, {
            type: 'QueueDeletion',
            data: {
              modelId,
              requestId: `race-${n}` as DeletionRequestId,
              subjectRef: SubjectRef('sr1_race'),
              now: new Date().toISOString(),
            },
          });
        },
      );
    const before = await count(
      t.dataSource,
      "SELECT version n FROM streams WHERE stream_id = 'model-mnist-mlp'",
    );
    await Promise.all([writer(1), writer(2)]);
    expect(attempts).toBe(3); // both read the same version; the loser ran once more
    const after = await count(
      t.dataSource,
      "SELECT version n FROM streams WHERE stream_id = 'model-mnist-mlp'",
    );
    expect(after - before).toBe(2);
  });

  it('never stores a raw subject id in events or outbox messages', async () => {
    // Where a raw id could hide: every text of every event and outbox row.
    const places = [
      { table: 'events', text: "data::text || ' ' || metadata::text" },
      {
        // The messages the relay publishes: a row's bytes, or the value built from its event.
        table: `outbox ${OUTBOX_EVENT_RELATION}`,
        text: `coalesce(key, '') || ' ' || convert_from(${outboxValueSql(GOVERNANCE_EVENT_VALUES)}, 'UTF8') || ' ' || headers::text`,
      },
    ];
    const hits = (table: string, text: string, needle: string) =>
      count(t.dataSource, `SELECT count(*) n FROM ${table} WHERE position($1 in ${text}) > 0`, [
        needle,
      ]);
    const recordSubjects = (
      await t.dataSource.query<{ subject_id: string }[]>(
        'SELECT DISTINCT subject_id FROM gov_records',
      )
    ).map((r) => r.subject_id);
    const subjects = [...new Set([...sentSubjects, ...recordSubjects])];
    expect(sentSubjects.size).toBeGreaterThanOrEqual(4);

    // Positive controls, independent of what is checked: (1) the same search finds each raw id
    // where raw ids do live (the records store), so it is able to find one; (2) the events and
    // outbox do carry every requested subject, as the reference computed here from the key.
    for (const subject of recordSubjects) {
      expect(await hits('gov_records', 'subject_id', subject)).toBeGreaterThan(0);
    }
    const pseudonymizer = new HmacSubjectPseudonymizer(HMAC_KEY);
    for (const subject of sentSubjects) {
      const ref = pseudonymizer.refOf(SubjectId(subject));
      for (const { table, text } of places) {
        const found = (await hits(table, text, ref)) > 0;
        expect({ subject, table, found }).toEqual({ subject, table, found: true });
      }
    }

    // The check: no raw subject id anywhere in them.
    for (const subject of subjects) {
      for (const { table, text } of places) {
        expect({ subject, table, hits: await hits(table, text, subject) }).toEqual({
          subject,
          table,
          hits: 0,
        });
      }
    }
  });

  it('rebuilds every read model from the events to exactly the live rows', async () => {
    await settle();
    const snapshot = async () => ({
      requests: await t.dataSource.query(
        'SELECT * FROM gov_deletion_requests_view ORDER BY request_id',
      ),
      models: await t.dataSource.query('SELECT * FROM gov_models_view ORDER BY model_id'),
      versions: await t.dataSource.query(
        'SELECT * FROM gov_model_versions_view ORDER BY model_id, version',
      ),
      jobs: await t.dataSource.query('SELECT * FROM gov_jobs_view ORDER BY job_id'),
    });
    const live = await snapshot();
    expect(live.requests.length).toBeGreaterThan(5);
    for (const name of READ_MODELS) await projections.runner.rebuild(name);
    expect(await snapshot()).toEqual(live);
  });
});
