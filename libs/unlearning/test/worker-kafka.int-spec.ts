import { compactVerify, createLocalJWKSet } from 'jose';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { ModelId, Topics, type UnlearningResultMessageV1 } from '@lethe/shared';
import { silentLogger } from '@lethe/shared/application';
import { createTopics } from '@lethe/local-infra/kafka/topics';
import { namespacedTopic, testKafka } from '@lethe/local-infra/testing/test-kafka';
import { JobRunner } from '../src/application/jobs/job-runner';
import { KafkaJobConsumer } from '../src/infrastructure/kafka/kafka-job-consumer';
import { logisticData } from '../src/infrastructure/data/synthetic';
import {
  aTrainingJob,
  anUnlearningJob,
  aWorkerFixture,
  jobMessage,
  writeNdjsonSource,
  type WorkerFixture,
} from '../src/testing/jobs/job-factories';
import { engine, useBackend } from './tf-test-helpers';
import { softmaxRegressionM } from './convex-fixtures';

jest.setTimeout(240_000);

/**
 * The worker's Kafka door on a real broker: two worker instances in one consumer group, a training
 * job then an unlearning job for one model (small logistic data, CPU), the results read back from
 * lethe.unlearning-results.v1, the certificate verified with an independent jose call against the
 * JWKS, the digests checked against the model store, and a redelivered job that yields no second
 * version or certificate.
 */
describe('unlearning worker on Kafka (real broker)', () => {
  const { brokers, namespace } = testKafka();
  const topic = (t: string) => namespacedTopic(namespace, t);
  const kafka = new Kafka({
    clientId: `${namespace}worker-test`,
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const data = logisticData({ n: 200, dim: 4, seed: 'kafka', maxNorm: 1.5, signal: 5 });
  const results: UnlearningResultMessageV1[] = [];
  const workers: KafkaJobConsumer[] = [];
  let f: WorkerFixture;
  let producer: Producer;
  let reader: Consumer;

  const waitFor = async <T>(what: string, find: () => T | undefined, ms = 180_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = find();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const terminal = (jobId: string, n = 1) =>
    waitFor(`${n} terminal result(s) of ${jobId}`, () => {
      const got = results.filter(
        (r) => r.data.jobId === jobId && !['started', 'progress'].includes(r.data.kind),
      );
      return got.length >= n ? got : undefined;
    });
  const send = (modelId: string, value: Buffer) =>
    producer.send({ topic: topic(Topics.unlearningJobs), messages: [{ key: modelId, value }] });

  beforeAll(async () => {
    await useBackend();
    await createTopics(brokers, [
      { topic: topic(Topics.unlearningJobs), numPartitions: 3 },
      { topic: topic(Topics.unlearningResults), numPartitions: 3 },
    ]);
    f = await aWorkerFixture(engine);
    producer = kafka.producer();
    await producer.connect();
    reader = kafka.consumer({ groupId: `${namespace}results-reader`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: topic(Topics.unlearningResults), fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        results.push(JSON.parse(message.value!.toString()) as UnlearningResultMessageV1);
      },
    });
    for (let i = 0; i < 2; i++) {
      const w = new KafkaJobConsumer(
        kafka,
        (sink) => new JobRunner({ ...f.deps, sink, workerId: `worker-${i}` }),
        { namespace, groupId: 'workers', sessionTimeoutMs: 10_000, concurrency: 1 },
        silentLogger,
      );
      workers.push(w);
      await w.start();
    }
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await reader?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    f?.cleanup();
  });

  it('trains, unlearns with a signed certificate, and absorbs a redelivered job', async () => {
    const datasets = [
      { datasetId: 'ds', source: writeNdjsonSource(f.dataRoot, 'ds.ndjson', data) },
    ];
    const modelId = 'kafka-model';
    const profile = {
      recipe: { C: 4, l2: 0.05, learningRate: 0.05, epochs: 10, batchSize: 50, seed: 3 },
      policy: {
        target: { epsilon: 1, delta: 1e-6 },
        newton: { damping: 0.05, lissa: { chains: 1, depth: 100, scale: 5, batchSize: 40 } },
        certification: {
          M: Math.ceil(softmaxRegressionM(data)),
          lambdaMin: 0,
          G: 1,
          solverTolerance: 0.5,
        },
      },
    };
    const training = aTrainingJob({ modelId, datasets, profile });
    await send(modelId, jobMessage(training));
    const [trained] = await terminal(training.jobId);
    expect(trained!.data).toMatchObject({ kind: 'trained', version: 1 });
    expect(trained!.subject).toBe(modelId);
    expect(trained!.id).toBe(`${training.jobId}/1/trained`);
    const v1 = await f.modelStore.getVersion(ModelId(modelId), 1);
    expect(trained!.data.kind === 'trained' && trained!.data.digest).toBe(v1!.digest);

    const job = anUnlearningJob({
      modelId,
      records: [{ datasetId: 'ds', recordId: data.ids[0] as string }],
      datasets,
    });
    const bytes = jobMessage(job);
    await send(modelId, bytes);
    const [done] = await terminal(job.jobId);
    const r = done!.data;
    if (r.kind !== 'succeeded') throw new Error(`expected succeeded, got ${JSON.stringify(r)}`);
    expect(r).toMatchObject({ method: 'newton-lissa', versionBefore: 1, versionAfter: 2 });
    // Progress came first, in order, public terms only.
    const progress = results.filter(
      (m) => m.data.jobId === job.jobId && m.data.kind === 'progress',
    );
    expect(progress.length).toBeGreaterThan(0);

    // An independent verification: jose and the published JWKS only.
    const jwks = createLocalJWKSet({ keys: [...f.signer.jwks().keys] });
    const { payload, protectedHeader } = await compactVerify(r.certificate, jwks);
    expect(protectedHeader.alg).toBe('EdDSA');
    const cert = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      model: { digestBefore: string; digestAfter: string; versionAfter: number };
      certificateId: string;
    };
    const v2 = await f.modelStore.getVersion(ModelId(modelId), 2);
    expect(cert.model).toMatchObject({ digestBefore: v1!.digest, digestAfter: v2!.digest });
    expect(r.digestAfter).toBe(v2!.digest);
    expect(v2!.certificateIds).toEqual([cert.certificateId]);

    // The same job delivered again: the same result, no second version or certificate.
    await send(modelId, bytes);
    const both = await terminal(job.jobId, 2);
    expect(both[1]!.data).toEqual(both[0]!.data);
    expect((await f.modelStore.listVersions(ModelId(modelId))).map((v) => v.version)).toEqual([
      1, 2,
    ]);
    expect((await f.modelStore.getVersion(ModelId(modelId), 2))!.certificateIds).toHaveLength(1);
  });

  it('trains and unlearns a convex-newton model and a sisa-shard model (policy routing)', async () => {
    const datasets = [
      { datasetId: 'ds2', source: writeNdjsonSource(f.dataRoot, 'ds2.ndjson', data) },
    ];
    const models = [
      {
        modelId: 'kafka-convex',
        method: 'convex-newton',
        guarantee: { type: 'certified', epsilon: 1, delta: 1e-5 },
        profile: {
          recipe: { l2: 0.05, seed: 3 },
          policy: {
            methods: ['convex-newton', 'retrain'],
            target: { epsilon: 1, delta: 1e-5 },
            convex: { tolerance: 1e-4 },
          },
        },
      },
      {
        modelId: 'kafka-sisa',
        method: 'sisa-shard',
        guarantee: { type: 'exact', epsilon: 0, delta: 0 },
        profile: {
          architecture: { kind: 'mlp', hidden: [6], activation: 'tanh' },
          recipe: { C: 20, l2: 5e-4, learningRate: 0.05, epochs: 4, batchSize: 25, seed: 5 },
          policy: { methods: ['sisa-shard', 'retrain'], sisa: { shards: 3, slices: 2 } },
        },
      },
    ] as const;
    const jwks = createLocalJWKSet({ keys: [...f.signer.jwks().keys] });
    for (const m of models) {
      const training = aTrainingJob({ modelId: m.modelId, datasets, profile: m.profile });
      await send(m.modelId, jobMessage(training));
      const [trained] = await terminal(training.jobId);
      expect(trained!.data).toMatchObject({ kind: 'trained', version: 1 });
      const job = anUnlearningJob({
        modelId: m.modelId,
        records: [{ datasetId: 'ds2', recordId: data.ids[1] as string }],
        datasets,
      });
      await send(m.modelId, jobMessage(job));
      const [done] = await terminal(job.jobId);
      const r = done!.data;
      if (r.kind !== 'succeeded') throw new Error(`expected succeeded, got ${JSON.stringify(r)}`);
      expect(r).toMatchObject({ method: m.method, versionBefore: 1, versionAfter: 2 });
      expect(r.reason).toBe(
        `${m.method} chosen${m.method === 'convex-newton' ? ' (certified-within-policy)' : ''}`,
      );
      const { payload } = await compactVerify(r.certificate, jwks);
      const cert = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
      expect(cert).toMatchObject({
        method: m.method,
        guarantee: m.guarantee,
        evidence: { policy: { chosen: m.method } },
      });
      const v2 = await f.modelStore.getVersion(ModelId(m.modelId), 2);
      expect(r.digestAfter).toBe(v2!.digest);
    }
  });
});
