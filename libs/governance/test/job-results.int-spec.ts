import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import type { Consumer, Producer } from 'kafkajs';
import { generateEd25519, JoseAuditSigner, KeyRing, type CertificatePayload } from '@lethe/audit';
import {
  aCertifiedCertificate,
  anExactCertificate,
  aNoOpCertificate,
} from '@lethe/audit/testing/certificate.factory';
import {
  ModelId,
  Topics,
  TRAINING_JOB_TYPE_V1,
  UNLEARNING_JOB_TYPE_V1,
  UNLEARNING_RESULT_TYPE_V1,
  unlearningResultMessageId,
  type JobMessageV1,
  type TrainingJobDataV1,
  type UnlearningJobDataV1,
  type UnlearningResultDataV1,
} from '@lethe/shared';
import { asReleasedWeights } from '@lethe/unlearning/application/ports/model-store.port';
import { DirectoryModelStore } from '@lethe/unlearning/infrastructure/model-store/directory-model-store';
import {
  trainingProfile,
  weightsFile,
} from '@lethe/unlearning/infrastructure/model-store/model-store.fixtures';
import {
  bearer,
  count,
  deletionEvent,
  eventually,
  KEYS,
  startGovernance,
  type GovernanceTestApp,
} from './harness';

jest.setTimeout(240_000);

const MODEL = 'credit-lr';
const SOURCE = {
  kind: 'file',
  format: 'csv',
  path: 'credit/train.csv',
  recordIdColumn: 'record_id',
  labelColumn: 'label',
};
const key = (kid: string, notBefore = '2026-01-01T00:00:00Z') => {
  const { privateKey } = generateEd25519();
  return {
    kid,
    notBefore: new Date(notBefore),
    notAfter: null,
    privateKey,
    publicKey: createPublicKey(privateKey),
  };
};

/**
 * The governance side of the worker loop on real PostgreSQL and Kafka: a model registered with a
 * sourced dataset emits a training job, the worker's `trained` result registers version 1, a
 * deletion becomes an unlearning job (with its datasets), and signed results (published the way
 * the worker publishes them) certify the request, log the certificate, erase the records and
 * register version 2; forged, tampered and mismatched certificates are refused; a redelivery
 * changes nothing; the version routes serve the store's metadata and weights.
 */
describe('worker results (real Postgres + Kafka)', () => {
  let t: GovernanceTestApp;
  let producer: Producer;
  let jobsConsumer: Consumer;
  let store: DirectoryModelStore;
  let storeDir: string;
  const ring = KeyRing.of([key('worker-2026')]);
  const signer = new JoseAuditSigner(ring);
  const jobs: JobMessageV1[] = [];
  const http = () => request(t.app.getHttpServer());

  const publish = async (d: UnlearningResultDataV1, over: Record<string, unknown> = {}) => {
    const value = {
      specversion: '1.0',
      id: unlearningResultMessageId(d),
      source: `urn:lethe:unlearning-worker:${d.workerId}`,
      type: UNLEARNING_RESULT_TYPE_V1,
      subject: d.modelId,
      time: d.at,
      datacontenttype: 'application/json',
      data: d,
      ...over,
    };
    await producer.send({
      topic: t.topic(Topics.unlearningResults),
      acks: -1,
      messages: [{ key: d.modelId, value: JSON.stringify(value) }],
    });
  };
  const publishRaw = (value: string) =>
    producer.send({
      topic: t.topic(Topics.unlearningResults),
      acks: -1,
      messages: [{ key: MODEL, value }],
    });
  /** Offsets of the results topic the governance consumer group has committed, summed. */
  const committed = async () => {
    const admin = t.kafka.admin();
    await admin.connect();
    try {
      const [topic] = await admin.fetchOffsets({
        groupId: `${t.namespace}lethe-governance-results`,
        topics: [t.topic(Topics.unlearningResults)],
      });
      return (topic?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  };
  let published = 0;
  /** Publishes and waits until the consumer has committed past it. */
  const deliver = async (send: () => Promise<unknown>) => {
    await send();
    published += 1;
    await eventually(committed, (n) => n >= published, 60_000);
  };
  const refusals = () =>
    t.dataSource.query<{ code: string; kind: string | null; reason: string }[]>(
      'SELECT code, kind, reason FROM gov_refused_results ORDER BY refused_at, "offset"',
    );
  const getRequest = async (id: string) =>
    (await http().get(`/v1/deletion-requests/${id}`).set(bearer(KEYS.compliance)).expect(200))
      .body as {
      status: string;
      certificateIds: string[];
      recordsErased: boolean;
      models: { jobId: string | null; status: string; jobProgress?: unknown }[];
      history: { type: string; modelId?: string; method?: string; reason?: string }[];
    };
  const getModel = async () =>
    (await http().get(`/v1/models/${MODEL}`).set(bearer(KEYS.admin)).expect(200)).body as {
      currentVersion: number;
      training: { status: string; jobId: string } | null;
      versions: {
        version: number;
        origin: string;
        weightsDigest: string | null;
        certificateId: string | null;
        metrics: Record<string, number> | null;
      }[];
    };
  /** A job's view, or null while its projection has not written it yet (404). */
  const jobViewOrNull = async (jobId: string, key: string): Promise<unknown> => {
    const res = await http().get(`/v1/jobs/${jobId}`).set(bearer(key));
    if (res.status === 404) return null;
    expect(res.status).toBe(200);
    return res.body;
  };
  const eventCount = () => count(t.dataSource, 'SELECT count(*) n FROM events');
  const base = (jobId: string, attempt = 1) => ({
    jobId,
    modelId: MODEL,
    attempt,
    workerId: 'worker-test',
    at: new Date().toISOString(),
  });

  beforeAll(async () => {
    storeDir = mkdtempSync(path.join(tmpdir(), 'lethe-model-store-'));
    store = await DirectoryModelStore.open({ root: storeDir });
    t = await startGovernance({
      audit: { origin: 'lethe.audit/test', keyRing: ring },
      modelStoreDir: storeDir,
      results: { progressIntervalMs: 0 },
      scheduling: { coalesceWindowMs: 200, tickMs: 100 },
    });
    producer = t.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    jobsConsumer = t.kafka.consumer({ groupId: `${t.namespace}test-jobs` });
    await jobsConsumer.connect();
    await jobsConsumer.subscribe({ topic: t.topic(Topics.unlearningJobs), fromBeginning: true });
    await jobsConsumer.run({
      eachMessage: async ({ message }) => {
        jobs.push(JSON.parse(message.value?.toString('utf8') ?? 'null') as JobMessageV1);
      },
    });

    await http()
      .post('/v1/datasets')
      .set(bearer(KEYS.admin))
      .send({ datasetId: 'credit', name: 'Credit', source: SOURCE })
      .expect(201);
    await http()
      .post('/v1/datasets/credit/records')
      .set(bearer(KEYS.admin))
      .send(
        Array.from({ length: 12 }, (_, i) => ({
          recordId: `r-${i}`,
          subjectId: `user-${i % 4}`,
          features: [i, 1, 0.5],
          label: i % 2,
        })),
      )
      .expect(200);
  });

  afterAll(async () => {
    await jobsConsumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await t?.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  let trainingJob: TrainingJobDataV1;
  let digest1: string;

  it('registering a model on a sourced dataset emits a training job; the trained result registers version 1', async () => {
    const registered = await http()
      .post('/v1/models')
      .set(bearer(KEYS.admin))
      .send({
        modelId: MODEL,
        name: 'Credit LR',
        training: { datasetIds: ['credit'] },
        profile: { recipe: { epochs: 5 } },
      })
      .expect(201);
    expect(registered.body).toMatchObject({ modelId: MODEL, version: 0 });
    const trainingJobId = registered.body.trainingJobId as string;
    expect(trainingJobId).toBeTruthy();

    await eventually(
      async () => jobs.filter((j) => j.type === TRAINING_JOB_TYPE_V1).length,
      (n) => n === 1,
      60_000,
    );
    const message = jobs.find((j) => j.type === TRAINING_JOB_TYPE_V1);
    trainingJob = message?.data as TrainingJobDataV1;
    expect(trainingJob).toMatchObject({
      jobId: trainingJobId,
      modelId: MODEL,
      attempt: 1,
      version: 1,
      datasets: [{ datasetId: 'credit', source: SOURCE }],
      records: [],
      profile: { recipe: { epochs: 5 } },
    });
    expect(await getModel()).toMatchObject({
      currentVersion: 0,
      training: { status: 'scheduled' },
    });

    // The worker stores version 1 in the public model store and reports it.
    const v1 = await store.putVersion({
      modelId: ModelId(MODEL),
      version: 1,
      weights: asReleasedWeights(weightsFile(1)),
      parentDigest: null,
      trainingProfile: trainingProfile(),
    });
    digest1 = v1.record.digest;
    await deliver(() => publish({ ...base(trainingJobId), kind: 'started' }));
    await deliver(() =>
      publish({
        ...base(trainingJobId),
        kind: 'trained',
        version: 1,
        digest: digest1,
        metrics: { trainAccuracy: 0.91, testAccuracy: 0.89 },
      }),
    );
    const model = await eventually(getModel, (m) => m.currentVersion === 1);
    expect(model.training).toMatchObject({ status: 'trained', jobId: trainingJobId });
    expect(model.versions).toEqual([
      expect.objectContaining({
        version: 1,
        origin: 'training',
        weightsDigest: digest1,
        metrics: { trainAccuracy: 0.91, testAccuracy: 0.89 },
      }),
    ]);
  });

  let job: UnlearningJobDataV1;
  let requestId: string;

  it('a deletion becomes an unlearning job with its datasets; progress shows on the job and the request', async () => {
    const posted = await http()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(deletionEvent('del-1', 'user-1'))
      .expect(202);
    requestId = posted.body.requestId as string;
    await eventually(
      async () => jobs.filter((j) => j.type === UNLEARNING_JOB_TYPE_V1).length,
      (n) => n === 1,
      60_000,
    );
    job = jobs.find((j) => j.type === UNLEARNING_JOB_TYPE_V1)?.data as UnlearningJobDataV1;
    expect(job).toMatchObject({
      modelId: MODEL,
      attempt: 1,
      baseVersion: 1,
      requestIds: [requestId],
      datasets: [{ datasetId: 'credit', source: SOURCE }],
    });
    expect(job.records.map((r) => r.recordId).sort()).toEqual(['r-1', 'r-5', 'r-9']);

    await deliver(() => publish({ ...base(job.jobId), kind: 'started' }));
    for (const seq of [1, 2]) {
      await deliver(() =>
        publish({
          ...base(job.jobId),
          kind: 'progress',
          seq,
          stage: 'inverse-hvp',
          done: seq * 50,
          total: 100,
        }),
      );
    }
    // A redelivered older report changes nothing.
    await deliver(() =>
      publish({
        ...base(job.jobId),
        kind: 'progress',
        seq: 1,
        stage: 'inverse-hvp',
        done: 50,
        total: 100,
      }),
    );
    const jobView = await eventually(
      async () =>
        (await jobViewOrNull(job.jobId, KEYS.compliance)) as {
          status: string;
          progress: { seq: number; done: number } | null;
        } | null,
      (j) => j?.progress?.seq === 2,
    );
    expect(jobView).toMatchObject({
      status: 'running',
      progress: { attempt: 1, seq: 2, stage: 'inverse-hvp', done: 100, total: 100 },
    });
    const req = await eventually(
      () => getRequest(requestId),
      (r) => r.status === 'unlearning',
    );
    expect(req.models[0]?.jobProgress).toMatchObject({ seq: 2, done: 100, total: 100 });
  });

  let digest2: string;
  const certificateFor = (over: Partial<CertificatePayload> = {}) =>
    aCertifiedCertificate({
      certificateId: `cert-${job.jobId}`,
      issuedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      requestIds: [...job.requestIds],
      subjectRefs: [...job.subjectRefs],
      model: {
        modelId: MODEL,
        versionBefore: 1,
        versionAfter: 2,
        digestBefore: digest1,
        digestAfter: digest2,
      },
      producer: { workerId: 'worker-test', codeVersion: '0.1.0' },
      ...(over as object),
    });
  const succeeded = (certificate: string, certificateId = `cert-${job.jobId}`) =>
    ({
      ...base(job.jobId),
      kind: 'succeeded',
      method: 'newton-lissa',
      versionBefore: 1,
      versionAfter: 2,
      digestBefore: digest1,
      digestAfter: digest2,
      certificateId,
      certificate,
    }) as const;

  it('refuses a forged, a tampered and a mismatched certificate, and a malformed message; nothing is certified', async () => {
    const v2 = await store.putVersion({
      modelId: ModelId(MODEL),
      version: 2,
      weights: asReleasedWeights(weightsFile(2)),
      parentDigest: digest1,
      trainingProfile: trainingProfile(),
    });
    digest2 = v2.record.digest;
    const before = await eventCount();

    // Signed with a key that is not in the ring, under the ring's kid.
    const forger = new JoseAuditSigner(KeyRing.of([key('worker-2026')]));
    await deliver(async () => publish(succeeded(await forger.signCertificate(certificateFor()))));
    // A genuine signature over other bytes: one payload character changed.
    const genuine = await signer.signCertificate(certificateFor());
    const [h, p, s] = genuine.split('.');
    const payload = Buffer.from(p ?? '', 'base64url')
      .toString('utf8')
      .replace('"versionAfter":2', '"versionAfter":3');
    const tampered = [h, Buffer.from(payload).toString('base64url'), s].join('.');
    await deliver(() => publish(succeeded(tampered)));
    // Genuinely signed, but for another subject than the job's.
    const otherSubject = await signer.signCertificate(
      certificateFor({ subjectRefs: ['sr1_' + 'A'.repeat(43)] }),
    );
    await deliver(() => publish(succeeded(otherSubject)));
    // Genuinely signed, but the message claims other digests than the certificate.
    await deliver(() =>
      publish({
        ...succeeded(genuine),
        digestAfter: createHash('sha256').update('x').digest('hex'),
      }),
    );
    await deliver(() => publishRaw('{not json'));

    expect((await refusals()).map((r) => r.code)).toEqual([
      'CERTIFICATE_SIGNATURE_INVALID',
      'CERTIFICATE_SIGNATURE_INVALID',
      'CERTIFICATE_MISMATCH',
      'CERTIFICATE_MISMATCH',
      'RESULT_INVALID',
    ]);
    expect(await count(t.dataSource, 'SELECT count(*) n FROM audit_entries')).toBe(0);
    const req = await getRequest(requestId);
    expect(req.status).toBe('unlearning');
    expect(req.certificateIds).toEqual([]);
    expect(
      await count(t.dataSource, `SELECT count(*) n FROM gov_records WHERE record_id = 'r-1'`),
    ).toBe(1);
    expect((await getModel()).currentVersion).toBe(1);
    // Only refusal events were appended (one per distinct message and code on the job).
    const refusedEvents = await count(
      t.dataSource,
      `SELECT count(*) n FROM events WHERE type = 'UnlearningJobResultRefused'`,
    );
    expect(await eventCount()).toBe(before + refusedEvents);
    // The jobs view follows the events on its own loop: wait until it has taken every refusal.
    const jobView = await eventually(
      async () =>
        (await http().get(`/v1/jobs/${job.jobId}`).set(bearer(KEYS.admin)).expect(200)).body as {
          status: string;
          lastRefusal: { code: string } | null;
          history: { type: string }[];
        },
      (j) =>
        j.history.filter((h) => h.type === 'UnlearningJobResultRefused').length === refusedEvents,
    );
    expect(jobView.status).toBe('running');
    expect(jobView.lastRefusal?.code).toBe('CERTIFICATE_MISMATCH');
  });

  let genuineJws: string;

  it('a genuine certificate is logged, certifies the request, erases the records and registers version 2', async () => {
    genuineJws = await signer.signCertificate(certificateFor());
    await deliver(() => publish(succeeded(genuineJws)));
    const certificateId = `cert-${job.jobId}`;

    const req = await eventually(
      () => getRequest(requestId),
      (r) => r.status === 'certified' && r.recordsErased,
    );
    expect(req.certificateIds).toEqual([certificateId]);
    expect(
      await count(t.dataSource, `SELECT count(*) n FROM gov_records WHERE subject_ref = $1`, [
        job.subjectRefs[0],
      ]),
    ).toBe(0);
    expect(await count(t.dataSource, 'SELECT count(*) n FROM gov_records')).toBe(9);

    const cert = await http()
      .get(`/v1/certificates/${certificateId}`)
      .set(bearer(KEYS.auditor))
      .expect(200);
    expect(cert.body).toMatchObject({
      jws: genuineJws,
      payload: { certificateId, requestIds: [requestId] },
      inclusionProof: { leafIndex: 0 },
    });
    const model = await eventually(getModel, (m) => m.currentVersion === 2);
    expect(model.versions[1]).toMatchObject({
      version: 2,
      origin: 'unlearning',
      weightsDigest: digest2,
      certificateId,
    });
  });

  it('a redelivered result changes nothing', async () => {
    const events = await eventCount();
    const entries = await count(t.dataSource, 'SELECT count(*) n FROM audit_entries');
    const refused = (await refusals()).length;
    await deliver(() => publish(succeeded(genuineJws)));
    await deliver(() => publish({ ...base(job.jobId), kind: 'started' }));
    expect(await eventCount()).toBe(events);
    expect(await count(t.dataSource, 'SELECT count(*) n FROM audit_entries')).toBe(entries);
    expect((await refusals()).length).toBe(refused);
    expect((await getRequest(requestId)).status).toBe('certified');
    expect((await getModel()).currentVersion).toBe(2);
  });

  it('a no-op certificate (nothing of the subject in the model) is logged and certifies without a new version', async () => {
    const posted = await http()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(deletionEvent('del-2', 'user-2'))
      .expect(202);
    const second = posted.body.requestId as string;
    await eventually(
      async () => jobs.filter((j) => j.type === UNLEARNING_JOB_TYPE_V1).length,
      (n) => n === 2,
      60_000,
    );
    const job2 = jobs.filter((j) => j.type === UNLEARNING_JOB_TYPE_V1)[1]
      ?.data as UnlearningJobDataV1;
    expect(job2).toMatchObject({ baseVersion: 2, requestIds: [second] });
    const model = {
      modelId: MODEL,
      versionBefore: 2,
      versionAfter: 2,
      digestBefore: digest2,
      digestAfter: digest2,
    };
    const jws = await signer.signCertificate(
      aNoOpCertificate({
        certificateId: `cert-${job2.jobId}`,
        issuedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        requestIds: [...job2.requestIds],
        subjectRefs: [...job2.subjectRefs],
        model,
      }),
    );
    await deliver(() =>
      publish({
        ...base(job2.jobId),
        kind: 'succeeded',
        method: 'no-op',
        versionBefore: 2,
        versionAfter: 2,
        digestBefore: digest2,
        digestAfter: digest2,
        certificateId: `cert-${job2.jobId}`,
        certificate: jws,
      }),
    );
    const req = await eventually(
      () => getRequest(second),
      (r) => r.status === 'certified' && r.recordsErased,
    );
    expect(req.certificateIds).toEqual([`cert-${job2.jobId}`]);
    expect(await count(t.dataSource, 'SELECT count(*) n FROM audit_entries')).toBe(2);
    const after = await getModel();
    expect(after.currentVersion).toBe(2);
    expect(after.versions).toHaveLength(2);
  });

  it('serves a released version and its weights to ml-admin only, 404 when missing', async () => {
    const v2 = await http()
      .get(`/v1/models/${MODEL}/versions/2`)
      .set(bearer(KEYS.admin))
      .expect(200);
    expect(v2.body).toMatchObject({
      modelId: MODEL,
      version: 2,
      digest: digest2,
      parentDigest: digest1,
      certificateIds: [`cert-${job.jobId}`],
      lineage: { origin: 'unlearning', weightsDigest: digest2, recordCount: 9 },
    });
    const weights = await http()
      .get(`/v1/models/${MODEL}/versions/2/weights`)
      .set(bearer(KEYS.admin))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(weights.headers['content-type']).toContain('application/octet-stream');
    const body = weights.body as Buffer;
    expect(createHash('sha256').update(body).digest('hex')).toBe(digest2);
    expect(weights.headers['repr-digest']).toBe(
      `sha-256=:${Buffer.from(digest2, 'hex').toString('base64')}:`,
    );
    expect(Buffer.from(weightsFile(2)).equals(body)).toBe(true);

    await http().get(`/v1/models/${MODEL}/versions/2`).set(bearer(KEYS.compliance)).expect(403);
    await http()
      .get(`/v1/models/${MODEL}/versions/2/weights`)
      .set(bearer(KEYS.auditor))
      .expect(403);
    await http().get(`/v1/models/${MODEL}/versions/2`).expect(401);
    for (const path of [
      `/v1/models/${MODEL}/versions/3`,
      `/v1/models/nope/versions/1/weights`,
      `/v1/models/${MODEL}/versions/x`,
    ]) {
      const missing = await http().get(path).set(bearer(KEYS.admin)).expect(404);
      expect(missing.headers['content-type']).toContain('application/problem+json');
      expect(missing.body.code).toBe('MODEL_VERSION_NOT_FOUND');
    }
  });
  it('a request certified after a fallback shows the method and the policy’s reason (from the signed evidence) in its history and on its job', async () => {
    const posted = await http()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(deletionEvent('del-3', 'user-3'))
      .expect(202);
    const third = posted.body.requestId as string;
    await eventually(
      async () => jobs.filter((j) => j.type === UNLEARNING_JOB_TYPE_V1).length,
      (n) => n === 3,
      60_000,
    );
    const job3 = jobs.filter((j) => j.type === UNLEARNING_JOB_TYPE_V1)[2]
      ?.data as UnlearningJobDataV1;
    expect(job3).toMatchObject({ baseVersion: 2, requestIds: [third] });
    const v3 = await store.putVersion({
      modelId: ModelId(MODEL),
      version: 3,
      weights: asReleasedWeights(weightsFile(3)),
      parentDigest: digest2,
      trainingProfile: trainingProfile(),
    });
    const digest3 = v3.record.digest;
    // What the worker signs when the convex-newton update failed its private check.
    const policy = {
      chosen: 'retrain',
      tried: [
        { method: 'convex-newton', outcome: 'refused', reasons: ['private-check-failed'] },
        { method: 'retrain', outcome: 'chosen', reasons: [] },
      ],
    };
    const reason = 'convex-newton refused (private-check-failed); retrain chosen';
    const certificateId = `cert-${job3.jobId}`;
    const jws = await signer.signCertificate(
      anExactCertificate({
        certificateId,
        issuedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        requestIds: [...job3.requestIds],
        subjectRefs: [...job3.subjectRefs],
        model: {
          modelId: MODEL,
          versionBefore: 2,
          versionAfter: 3,
          digestBefore: digest2,
          digestAfter: digest3,
        },
        evidence: { backend: 'cpu', policy },
      }),
    );
    await deliver(() => publish({ ...base(job3.jobId), kind: 'started' }));
    await deliver(() =>
      publish({
        ...base(job3.jobId),
        kind: 'succeeded',
        method: 'retrain',
        versionBefore: 2,
        versionAfter: 3,
        digestBefore: digest2,
        digestAfter: digest3,
        certificateId,
        certificate: jws,
        // Unsigned and wrong: the signed evidence is what is recorded.
        reason: 'convex-newton chosen',
      }),
    );
    const req = await eventually(
      () => getRequest(third),
      (r) => r.status === 'certified',
    );
    expect(req.history.filter((h) => h.type === 'ModelUnlearned')).toEqual([
      expect.objectContaining({ modelId: MODEL, method: 'retrain', reason, status: 'certified' }),
    ]);
    expect(req.models).toEqual([
      expect.objectContaining({ status: 'unlearned', method: 'retrain', reason }),
    ]);
    // The jobs view is another projection than the requests view: it may not be there yet.
    const jobView = await eventually(
      async () =>
        (await jobViewOrNull(job3.jobId, KEYS.admin)) as {
          status: string;
          method: string | null;
          policy: unknown;
          history: { type: string; method?: string; reason?: string }[];
        } | null,
      (j) => j?.status === 'succeeded',
    );
    expect(jobView).toMatchObject({
      status: 'succeeded',
      method: 'retrain',
      policy: { ...policy, reason },
    });
    expect(jobView?.history.at(-1)).toMatchObject({
      type: 'UnlearningJobSucceeded',
      method: 'retrain',
      reason,
    });
    // Nothing of the message's own reason, and no subject id, reached the request.
    expect(JSON.stringify(req)).not.toContain('convex-newton chosen');
    expect(JSON.stringify(req)).not.toContain('user-3');
    // The earlier newton-lissa certificate stated no policy: its request shows the method only.
    const first = await getRequest(requestId);
    expect(first.history.find((h) => h.type === 'ModelUnlearned')).toMatchObject({
      method: 'newton-lissa',
    });
    expect(first.history.find((h) => h.type === 'ModelUnlearned')?.reason).toBeUndefined();
  });
});
