import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { logisticData } from '@lethe/unlearning';
import {
  aLoopProfile,
  deletionEvent,
  LOOP_KEYS as KEYS,
  pollUntil,
  registerDataset,
  trainFirstVersion,
} from './support/unlearning-loop';
import { useLoop } from './support/loop-suite';

jest.setTimeout(600_000);

const DATASET = 'chain';
const MODEL = 'chain-lr';
const REQUESTS = 20;
/** Small and quick: logistic regression on 160 rows of 4 features, shorter LiSSA chains. */
const PROFILE = aLoopProfile({ batchSize: 40, seed: 11, lissa: { chains: 1, depth: 100 } });

interface Claims {
  certificateId: string;
  requestIds: string[];
  method: string;
  model: { versionBefore: number; versionAfter: number; digestBefore: string; digestAfter: string };
  sequence: { index: number; previousCertificateDigest: string | null };
}

/**
 * Two workers in one consumer group, one model, 20 deletion requests (half over HTTP, half as
 * Kafka events, sent in one burst): one certificate chain with no fork. The scheduler batches
 * the requests into jobs (at most 3 per job here), the jobs of the model run one after another,
 * and one worker is killed (SIGKILL) and restarted mid-stream, so the other may take the model's
 * partition over. Then: every request is certified with exactly one certificate; every
 * certificate verifies; the certificates' sequence indexes are 1..K, each once, each linking to
 * the previous JWS by its SHA-256; versions 1..K+1 exist each once, each certificate moving its
 * model from version i to i+1 with the stored digests.
 */
describe('two workers, one model, 20 requests: one chain, no fork', () => {
  const suite = useLoop('chain', { workers: 2, coalesceWindowMs: 300, maxRequestsPerJob: 3 });
  const { brokers, namespace } = suite;
  const data = logisticData({ n: 160, dim: 4, seed: 'chain', maxNorm: 1.5, signal: 5 });
  const subjectOf = (i: number) => `person-${i % 40}`;

  it('trains version 1, then certifies 20 requests on one unforked chain', async () => {
    const loop = suite.loop;
    const { registered: dataset, added } = await registerDataset(loop, {
      datasetId: DATASET,
      name: 'C',
      file: 'chain/train.ndjson',
      data,
      subjectOf,
    });
    expect(dataset.status).toBe(201);
    expect(added.body).toMatchObject({ added: 160 });
    const { registered, model: first } = await trainFirstVersion(loop, {
      modelId: MODEL,
      name: 'Chain LR',
      datasetIds: [DATASET],
      profile: PROFILE,
      everyMs: 100,
    });
    expect(registered.status).toBe(201);
    expect(first.currentVersion).toBe(1);

    // The burst: 10 requests over HTTP, 10 as Kafka events, all at once.
    const kafka = new Kafka({ clientId: `${namespace}chain`, brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const events = Array.from({ length: REQUESTS }, (_, i) =>
      deletionEvent(`chain-${i}`, `person-${i}`, [DATASET]),
    );
    const http = events.filter((_, i) => i % 2 === 0);
    const viaKafka = events.filter((_, i) => i % 2 === 1);
    const [posted] = await Promise.all([
      Promise.all(http.map((e) => loop.call('POST', '/v1/deletion-requests', KEYS.publisher, e))),
      producer.send({
        topic: `${namespace}lethe.deletion-requests.v1`,
        acks: -1,
        messages: viaKafka.map((e) => ({ key: e.subject, value: JSON.stringify(e) })),
      }),
    ]);
    await producer.disconnect();
    expect(posted.map((p) => p.status)).toEqual(http.map(() => 202));
    const requestIds: string[] = [];
    for (const e of events) {
      const found = await pollUntil(
        `intake of ${e.id}`,
        () =>
          loop.call(
            'GET',
            `/v1/deletion-requests?source=${encodeURIComponent(e.source)}&eventId=${e.id}`,
            KEYS.compliance,
          ),
        (r) => r.status === 200,
        60_000,
        100,
      );
      requestIds.push(found.body.requestId as string);
    }
    expect(new Set(requestIds).size).toBe(REQUESTS);

    type View = { status: string; recordsErased: boolean; certificateIds: string[] };
    const view = async (id: string) =>
      (await loop.call('GET', `/v1/deletion-requests/${id}`, KEYS.compliance))
        .body as unknown as View;
    // Kill one worker once the first request is certified, and start it again.
    await pollUntil(
      'a first certified request',
      async () => Promise.all(requestIds.map(view)),
      (vs) => vs.some((v) => v.status === 'certified'),
      240_000,
      200,
    );
    loop.workers[0]!.child.kill('SIGKILL');
    await loop.workers[0]!.exited;
    await loop.restartWorker(0);

    const ended = (v: View) =>
      (v.status === 'certified' && v.recordsErased) ||
      ['needs-retrain', 'failed', 'rejected', 'no-records'].includes(v.status);
    const views = await pollUntil(
      'every request ended',
      async () => Promise.all(requestIds.map(view)),
      (vs) => vs.every(ended),
      420_000,
      250,
    );
    expect(views.map((v) => v.status)).toEqual(requestIds.map(() => 'certified'));
    // Exactly one certificate per request.
    for (const v of views) expect(v.certificateIds).toHaveLength(1);

    // Every certificate verifies against the published JWKS.
    const keySet = createLocalJWKSet(
      (await (await fetch(`${loop.base}/.well-known/jwks.json`)).json()) as JSONWebKeySet,
    );
    const certificateIds = [...new Set(views.map((v) => v.certificateIds[0]!))];
    const chain: { jws: string; claims: Claims }[] = [];
    for (const id of certificateIds) {
      const cert = await loop.call('GET', `/v1/certificates/${id}`, KEYS.auditor);
      expect(cert.status).toBe(200);
      const jws = cert.body.jws as string;
      const { payload } = await compactVerify(jws, keySet);
      chain.push({ jws, claims: JSON.parse(Buffer.from(payload).toString('utf8')) as Claims });
    }
    // Each request in exactly one certificate, each certificate's requests those that name it.
    const covered = chain.flatMap((c) => c.claims.requestIds);
    expect(covered.sort()).toEqual([...requestIds].sort());
    for (const c of chain) {
      for (const r of c.claims.requestIds) {
        expect(views[requestIds.indexOf(r)]?.certificateIds).toEqual([c.claims.certificateId]);
      }
    }
    // Batched: fewer jobs than requests, at most 3 requests each.
    expect(chain.length).toBeLessThan(REQUESTS);
    expect(Math.max(...chain.map((c) => c.claims.requestIds.length))).toBeLessThanOrEqual(3);

    // One chain: indexes 1..K each once, each linking to the previous JWS, versions i → i+1.
    chain.sort((a, b) => a.claims.sequence.index - b.claims.sequence.index);
    const k = chain.length;
    expect(chain.map((c) => c.claims.sequence.index)).toEqual(
      Array.from({ length: k }, (_, i) => i + 1),
    );
    chain.forEach((c, i) => {
      const previous = chain[i - 1];
      expect(c.claims.sequence.previousCertificateDigest).toBe(
        previous ? createHash('sha256').update(previous.jws, 'utf8').digest('hex') : null,
      );
      expect(c.claims.model).toMatchObject({ versionBefore: i + 1, versionAfter: i + 2 });
      if (previous) expect(c.claims.model.digestBefore).toBe(previous.claims.model.digestAfter);
    });

    // Versions 1..K+1, each exactly once, each with the digest its certificate names.
    // The models view follows the events on its own loop (not the requests view's): wait for it.
    const model = (
      await pollUntil(
        `version ${k + 1} in the models view`,
        () => loop.call('GET', `/v1/models/${MODEL}`, KEYS.admin),
        (r) => r.body.currentVersion === k + 1,
        120_000,
      )
    ).body as {
      currentVersion: number;
      versions: { version: number; weightsDigest: string | null; certificateId: string | null }[];
    };
    expect(model.currentVersion).toBe(k + 1);
    expect(model.versions.map((v) => v.version)).toEqual(
      Array.from({ length: k + 1 }, (_, i) => i + 1),
    );
    chain.forEach((c, i) => {
      expect(model.versions[i + 1]).toMatchObject({
        weightsDigest: c.claims.model.digestAfter,
        certificateId: c.claims.certificateId,
      });
    });
    for (let v = 1; v <= k + 1; v++) {
      const meta = await loop.call('GET', `/v1/models/${MODEL}/versions/${v}`, KEYS.admin);
      expect(meta.status).toBe(200);
    }
    expect(
      (await loop.call('GET', `/v1/models/${MODEL}/versions/${k + 2}`, KEYS.admin)).status,
    ).toBe(404);
    // The audit log holds exactly the K certificates (no second one for any job).
    const checkpoint = await loop.call('GET', '/v1/audit/checkpoint', KEYS.auditor);
    expect(checkpoint.body.treeSize).toBe(k);
  });
});
