import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { logisticData } from '@lethe/unlearning';
import {
  aLoopProfile,
  deletionEvent,
  LOOP_KEYS as KEYS,
  pollUntil,
  publishedStages,
  registerDataset,
  trainFirstVersion,
} from './support/unlearning-loop';
import { useLoop } from './support/loop-suite';

jest.setTimeout(600_000);

const DATASET = 'credit';
const MODEL = 'credit-lr';
const SUBJECTS = 40;
/** Small and quick on a CPU: logistic regression, 200 rows of 4 features, short LiSSA chains. */
const PROFILE = aLoopProfile({ batchSize: 50, seed: 7, lissa: { chains: 2, depth: 200 } });

interface RequestView {
  requestId: string;
  status: string;
  recordsErased: boolean;
  certificateIds: string[];
  models: { modelId: string; jobId: string | null; status: string }[];
  history: {
    type: string;
    at: string;
    status: string;
    modelId?: string;
    method?: string;
    reason?: string;
  }[];
}

/**
 * The loop, end to end, through its real doors: the governance service and an unlearning worker
 * as processes on real PostgreSQL and Kafka, sharing a key ring file and the public model store.
 * A dataset with a file source is registered over HTTP, a model on it is trained by the worker
 * (version 1), and one subject is deleted over HTTP, then another over Kafka. Each ends
 * `certified`, with a certificate that verifies against the published JWKS through an
 * independent `jose` call, whose digests are the stored versions' (and the weights' SHA-256), and
 * the subject's records are gone. A malformed registration is refused with a coded 400 and
 * changes nothing.
 */
describe('the unlearning loop, end to end (governance + worker processes)', () => {
  const suite = useLoop('loop');
  const { brokers, namespace } = suite;
  const data = logisticData({ n: 200, dim: 4, seed: 'loop', maxNorm: 1.5, signal: 5 });
  const subjectOf = (i: number) => `person-${i % SUBJECTS}`;
  const recordsOf = (subject: string) => data.ids.filter((_, i) => subjectOf(i) === subject);

  const getRequest = async (id: string) =>
    (await suite.loop.call('GET', `/v1/deletion-requests/${id}`, KEYS.compliance))
      .body as unknown as RequestView;

  /** Certified with the records erased (erasure follows the certification), or a dead end. */
  const ended = (r: RequestView) =>
    (r.status === 'certified' && r.recordsErased) ||
    ['needs-retrain', 'failed', 'rejected', 'no-records'].includes(r.status);

  /** Certificate, JWKS, version metadata and weights of one certified request, checked. */
  const checkCertified = async (req: RequestView, versionBefore: number) => {
    expect(req.status).toBe('certified');
    expect(req.recordsErased).toBe(true);
    expect(req.certificateIds).toHaveLength(1);
    const certificateId = req.certificateIds[0]!;

    const cert = await suite.loop.call('GET', `/v1/certificates/${certificateId}`, KEYS.auditor);
    expect(cert.status).toBe(200);
    const jws = cert.body.jws as string;
    const jwks = await fetch(`${suite.loop.base}/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);
    const keySet = createLocalJWKSet((await jwks.json()) as JSONWebKeySet);
    const { payload, protectedHeader } = await compactVerify(jws, keySet);
    expect(protectedHeader.alg).toBe('EdDSA');
    const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      certificateId: string;
      requestIds: string[];
      model: {
        modelId: string;
        versionBefore: number;
        versionAfter: number;
        digestBefore: string;
        digestAfter: string;
      };
    };
    expect(claims).toMatchObject({
      certificateId,
      requestIds: [req.requestId],
      model: { modelId: MODEL, versionBefore, versionAfter: versionBefore + 1 },
    });
    expect(cert.body.payload).toEqual(claims);

    // The request's history names the certificate's method and, from its signed evidence.policy,
    // why the model's policy chose it (the worker states the policy for every chain step).
    const signed = cert.body.payload as {
      method: string;
      evidence: {
        policy?: { tried: { method: string; outcome: string; reasons: string[] }[] };
      };
    };
    const tried = signed.evidence.policy?.tried;
    expect(tried).toBeDefined();
    const why = (tried ?? [])
      .map(
        (t) =>
          `${t.method} ${t.outcome}${t.reasons.length > 0 ? ` (${t.reasons.join(', ')})` : ''}`,
      )
      .join('; ');
    expect(req.history.filter((h) => h.type === 'ModelUnlearned')).toEqual([
      expect.objectContaining({ modelId: MODEL, method: signed.method, reason: why }),
    ]);

    for (const [v, digest] of [
      [versionBefore, claims.model.digestBefore],
      [versionBefore + 1, claims.model.digestAfter],
    ] as const) {
      // Each view follows the events on its own loop: wait for it, then check it.
      const meta = await pollUntil(
        `version ${v} in the models view`,
        () => suite.loop.call('GET', `/v1/models/${MODEL}/versions/${v}`, KEYS.admin),
        (r) => r.status === 200,
        30_000,
      );
      expect(meta.body).toMatchObject({ modelId: MODEL, version: v, digest });
      const weights = await suite.loop.bytes(
        `/v1/models/${MODEL}/versions/${v}/weights`,
        KEYS.admin,
      );
      expect(weights.status).toBe(200);
      expect(createHash('sha256').update(weights.body).digest('hex')).toBe(digest);
    }
    const after = await pollUntil(
      `version ${versionBefore + 1} linked to its certificate`,
      () => suite.loop.call('GET', `/v1/models/${MODEL}/versions/${versionBefore + 1}`, KEYS.admin),
      (r) => Array.isArray(r.body.certificateIds) && r.body.certificateIds.length > 0,
      30_000,
    );
    expect(after.body.certificateIds).toEqual([certificateId]);
    expect(after.body.parentDigest).toBe(claims.model.digestBefore);

    const jobId = req.models[0]?.jobId;
    expect(jobId).toBeTruthy();
    const job = await pollUntil(
      'the job view: succeeded',
      () => suite.loop.call('GET', `/v1/jobs/${jobId}`, KEYS.compliance),
      (r) => r.body.status === 'succeeded',
      30_000,
    );
    expect(job.body).toMatchObject({
      status: 'succeeded',
      certificateId,
      versionAfter: versionBefore + 1,
    });
    // The worker reported its LiSSA iterations as progress: read from the results topic itself,
    // since the governance coalesces superseded progress and a poller can miss a short stage.
    const stages = await publishedStages({ brokers, namespace, jobId: jobId! });
    expect([...stages]).toEqual(expect.arrayContaining(['loading', 'inverse-hvp', 'storing']));
    // What the governance kept of it agrees with what was published: how much it kept depends on
    // how the results arrived in batches (superseded progress is skipped, ADR 0010), which the
    // results consumer's int spec pins down; here, the last progress it shows was published.
    const last = job.body.progress as { stage?: string } | null;
    if (last) expect(stages.has(String(last.stage))).toBe(true);
    return { certificateId, claims };
  };

  /** The subject's records, as the governance's lineage holds them: none once erased. */
  const sql = async <R>(text: string, values: unknown[] = []): Promise<R[]> => {
    const client = new Client({ connectionString: suite.db.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as R[];
    } finally {
      await client.end();
    }
  };
  const recordCount = async () =>
    Number(
      (
        await sql<{ n: string }>(`SELECT count(*) n FROM gov_records WHERE dataset_id = $1`, [
          DATASET,
        ])
      )[0]?.n,
    );

  it('registers a sourced dataset and its lineage; a malformed model registration is a coded 400 and changes nothing', async () => {
    const { registered, added } = await registerDataset(suite.loop, {
      datasetId: DATASET,
      name: 'Credit',
      file: 'credit/train.ndjson',
      data,
      subjectOf,
    });
    expect(registered.status).toBe(201);
    expect(added.body).toMatchObject({ added: 200 });

    const bad = await suite.loop.call('POST', '/v1/models', KEYS.admin, {
      modelId: MODEL,
      name: 'Credit LR',
      training: {},
      profile: PROFILE,
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.code).toBe('SCHEMA_VIOLATION');
    expect((await suite.loop.call('GET', `/v1/models/${MODEL}`, KEYS.admin)).status).toBe(404);
  });

  it('trains version 1 through the worker', async () => {
    const { registered, model } = await trainFirstVersion(suite.loop, {
      modelId: MODEL,
      name: 'Credit LR',
      datasetIds: [DATASET],
      profile: PROFILE,
    });
    expect(registered.status).toBe(201);
    expect(registered.body.trainingJobId).toBeTruthy();
    expect(model.training).toMatchObject({ status: 'trained' });
    const v1 = await suite.loop.call('GET', `/v1/models/${MODEL}/versions/1`, KEYS.admin);
    expect(v1.status).toBe(200);
    expect(v1.body.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a deletion over HTTP ends certified: signed, logged, digests of the stored versions, records erased', async () => {
    const subject = 'person-1';
    expect(recordsOf(subject)).toHaveLength(5);
    const before = await recordCount();
    const posted = await suite.loop.call(
      'POST',
      '/v1/deletion-requests',
      KEYS.publisher,
      deletionEvent('loop-http-1', subject, [DATASET]),
    );
    expect(posted.status).toBe(202);
    const requestId = posted.body.requestId as string;
    const req = await pollUntil(
      'certified (HTTP)',
      () => getRequest(requestId),
      ended,
      180_000,
      50,
    );
    await checkCertified(req, 1);
    expect(await recordCount()).toBe(before - 5);
    const left = await sql<{ record_id: string }>(
      `SELECT record_id FROM gov_records WHERE record_id = ANY($1)`,
      [recordsOf(subject)],
    );
    expect(left).toEqual([]);
    expect(req.history.map((h) => h.status)).toEqual(
      expect.arrayContaining(['received', 'scheduled', 'certified']),
    );
  });

  it('a deletion over Kafka ends certified the same way, on the next version', async () => {
    const subject = 'person-2';
    const before = await recordCount();
    const kafka = new Kafka({ clientId: `${namespace}loop`, brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const event = deletionEvent('loop-kafka-1', subject, [DATASET]);
    await producer.send({
      topic: `${namespace}lethe.deletion-requests.v1`,
      acks: -1,
      messages: [{ key: subject, value: JSON.stringify(event) }],
    });
    await producer.disconnect();
    const query = `/v1/deletion-requests?source=${encodeURIComponent(event.source)}&eventId=${event.id}`;
    const found = await pollUntil(
      'intake (Kafka)',
      () => suite.loop.call('GET', query, KEYS.compliance),
      (r) => r.status === 200,
      60_000,
      200,
    );
    const requestId = found.body.requestId as string;
    expect(found.body.channel).toBe('kafka');
    const req = await pollUntil(
      'certified (Kafka)',
      () => getRequest(requestId),
      ended,
      180_000,
      50,
    );
    await checkCertified(req, 2);
    expect(await recordCount()).toBe(before - 5);
    // The audit log holds both certificates, in order.
    const checkpoint = await suite.loop.call('GET', '/v1/audit/checkpoint', KEYS.auditor);
    expect(checkpoint.status).toBe(200);
    expect(checkpoint.body.treeSize).toBeGreaterThanOrEqual(2);
  });
});
