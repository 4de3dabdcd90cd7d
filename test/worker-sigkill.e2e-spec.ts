import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { freePort, testKafka } from '@lethe/local-infra';
import { ModelId, Topics, type UnlearningResultMessageV1 } from '@lethe/shared';
import { DirectoryModelStore, logisticData } from '@lethe/unlearning';
import {
  aTrainingJob,
  anUnlearningJob,
  jobMessage,
  writeNdjsonSource,
} from '@lethe/unlearning/testing/jobs/job-factories';
import { type AppProcess, startApp, waitForHttp } from './support/app-process';

jest.setTimeout(600_000);

/**
 * Black box: the worker process, a real broker, SIGKILL in the middle of an unlearning job, and a
 * restart (as a supervisor would). The redelivered job ends with exactly one new version and one
 * certificate, and the certificate verifies against the key ring's public key with jose.
 */
describe('unlearning worker: SIGKILL mid-job and restart', () => {
  const { brokers, namespace } = testKafka();
  const root = mkdtempSync(path.join(tmpdir(), 'lethe-worker-e2e-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyRing = JSON.stringify({
    keys: [
      {
        kid: 'e2e-key',
        notBefore: '2026-01-01T00:00:00Z',
        privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      },
    ],
  });
  const kafka = new Kafka({ clientId: `${namespace}e2e`, brokers, logLevel: logLevel.NOTHING });
  const results: UnlearningResultMessageV1[] = [];
  let producer: Producer;
  let reader: Consumer;
  let worker: AppProcess | undefined;

  const startWorker = async (): Promise<AppProcess> => {
    const port = await freePort();
    const app = startApp('unlearning-worker', {
      PORT: String(port),
      WORKER_ID: 'w-e2e',
      KAFKA_BROKERS: brokers.join(','),
      LETHE_TOPIC_NAMESPACE: namespace,
      LETHE_JOBS_SESSION_TIMEOUT_MS: '6000',
      LETHE_AUDIT_KEYRING: keyRing,
      LETHE_MODEL_STORE_DIR: path.join(root, 'models'),
      LETHE_PRIVATE_STORE_DIR: path.join(root, 'private'),
      LETHE_DATA_ROOT: path.join(root, 'data'),
      LETHE_TF_BACKEND: 'wasm',
      LOG_LEVEL: 'warn',
    });
    await waitForHttp(`http://127.0.0.1:${port}/health`, 180_000, app);
    return app;
  };
  const until = async <T>(what: string, f: () => T | undefined, ms = 300_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = f();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const ofJob = (jobId: string, kind: string) =>
    results.filter((r) => r.data.jobId === jobId && r.data.kind === kind);

  beforeAll(async () => {
    producer = kafka.producer();
    await producer.connect();
    reader = kafka.consumer({ groupId: `${namespace}e2e-reader`, maxWaitTimeInMs: 100 });
    await reader.connect();
    worker = await startWorker(); // creates the topics
    await reader.subscribe({
      topic: `${namespace}${Topics.unlearningResults}`,
      fromBeginning: true,
    });
    await reader.run({
      eachMessage: async ({ message }) => {
        results.push(JSON.parse(message.value!.toString()) as UnlearningResultMessageV1);
      },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await reader?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('one version and one certificate after a kill in the middle of the job', async () => {
    const data = logisticData({ n: 200, dim: 4, seed: 'e2e', maxNorm: 1.5, signal: 5 });
    const datasets = [
      { datasetId: 'ds', source: writeNdjsonSource(path.join(root, 'data'), 'ds.ndjson', data) },
    ];
    const modelId = 'e2e-model';
    const send = (value: Buffer) =>
      producer.send({
        topic: `${namespace}${Topics.unlearningJobs}`,
        messages: [{ key: modelId, value }],
      });
    const training = aTrainingJob({
      modelId,
      datasets,
      profile: {
        recipe: { C: 4, l2: 0.05, learningRate: 0.05, epochs: 5, batchSize: 50, seed: 3 },
        // Deep LiSSA chains: the job runs long enough to be killed in the middle.
        policy: {
          target: { epsilon: 1, delta: 1e-6 },
          newton: { damping: 0.05, lissa: { chains: 4, depth: 3000, scale: 5, batchSize: 40 } },
          certification: { M: 10, lambdaMin: 0, G: 1, solverTolerance: 0.5 },
        },
      },
    });
    await send(jobMessage(training));
    await until('trained', () => ofJob(training.jobId, 'trained')[0]);

    const job = anUnlearningJob({
      modelId,
      records: [{ datasetId: 'ds', recordId: data.ids[0] as string }],
      datasets,
    });
    await send(jobMessage(job));
    await until('LiSSA progress', () =>
      results.find(
        (r) =>
          r.data.jobId === job.jobId &&
          r.data.kind === 'progress' &&
          r.data.stage === 'inverse-hvp',
      ),
    );
    worker!.child.kill('SIGKILL');
    await worker!.exited;
    expect(ofJob(job.jobId, 'succeeded')).toHaveLength(0);

    worker = await startWorker();
    const [done] = await until('succeeded', () => {
      const s = ofJob(job.jobId, 'succeeded');
      return s.length > 0 ? s : undefined;
    });
    const r = done!.data;
    if (r.kind !== 'succeeded') throw new Error('not succeeded');
    expect(r).toMatchObject({ versionBefore: 1, versionAfter: 2 });

    const store = await DirectoryModelStore.open({ root: path.join(root, 'models') });
    const versions = await store.listVersions(ModelId(modelId));
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(versions[1]!.certificateIds).toEqual([r.certificateId]);
    expect(versions[1]!.digest).toBe(r.digestAfter);
    const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'e2e-key', alg: 'EdDSA' };
    const { payload } = await compactVerify(r.certificate, createLocalJWKSet({ keys: [jwk] }));
    expect(JSON.parse(Buffer.from(payload).toString())).toMatchObject({
      certificateId: r.certificateId,
      model: { digestAfter: versions[1]!.digest, digestBefore: versions[0]!.digest },
    });
  });
});
