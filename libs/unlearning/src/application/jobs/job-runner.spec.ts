import { decodeProtectedHeader } from 'jose';
import { ModelId } from '@lethe/shared';
import type { UnlearningResultDataV1 } from '@lethe/shared';
// The job logic does not depend on the backend: it runs once, on the backend under test (the
// engine's own numeric specs run on both backends; jest.config.js lists those by their call).
import {
  engine,
  useBackend as selectBackendUnderTest,
  backendUnderTest,
} from '../../../test/tf-test-helpers';
import { softmaxRegressionM } from '../../../test/convex-fixtures';
import { logisticData } from '../../infrastructure/data/synthetic';
import { tf } from '../../infrastructure/tf/tf';
import { ModelStoreError } from '../ports/model-store.errors';
import {
  aTrainingJob,
  anUnlearningJob,
  aWorkerFixture,
  jobMessage,
  type WorkerFixture,
} from '../../testing/jobs/job-factories';
import {
  aSourcedDataset,
  trainOn,
  verifyCertificate,
  type JobDatasets,
  type Succeeded,
  type Trained,
} from '../../testing/jobs/job-runs';
import { jwsDigest } from './certificate';

jest.setTimeout(120_000);

const data = logisticData({ n: 300, dim: 4, seed: 'worker', maxNorm: 1.5, signal: 5 });
const M = Math.ceil(softmaxRegressionM(data));

/** A certified LiSSA policy on logistic regression (λ_min ≥ l2 > 0: the assumed floor 0 holds). */
const profile = (policy: Record<string, unknown> = {}) => ({
  architecture: { kind: 'logistic-regression' },
  recipe: { C: 4, l2: 0.05, learningRate: 0.05, epochs: 10, batchSize: 50, seed: 3 },
  policy: {
    methods: ['newton', 'retrain'],
    target: { epsilon: 1, delta: 1e-6 },
    newton: { damping: 0.05, lissa: { chains: 1, depth: 100, scale: 5, batchSize: 40 } },
    certification: { M, lambdaMin: 0, G: 1, solverTolerance: 0.5 },
    ...policy,
  },
});

const verify = async (f: WorkerFixture, jws: string) => {
  const { payload, header } = await verifyCertificate(f, jws);
  expect(header).toMatchObject({ alg: 'EdDSA', typ: 'lethe-certificate+jwt' });
  return payload;
};

describe(`unlearning worker jobs (${backendUnderTest()})`, () => {
  /** Model `model-a` trained once (default test profile); every test works on a copy of it. */
  let template: WorkerFixture;
  let trainedA: Trained;
  let f: WorkerFixture;
  let datasets: JobDatasets;
  const ref = (i: number) => ({ datasetId: 'ds', recordId: data.ids[i] as string });

  const train = (on: WorkerFixture, policy: Record<string, unknown> = {}, modelId = 'model-a') =>
    trainOn(on, { modelId, datasets, profile: profile(policy) });

  beforeAll(async () => {
    await selectBackendUnderTest();
    template = await aWorkerFixture(engine);
    datasets = aSourcedDataset(template, data);
    trainedA = await train(template);
  });
  afterAll(() => template.cleanup());
  beforeEach(async () => {
    f = await aWorkerFixture(engine, template);
  });
  afterEach(() => f.cleanup());

  it('trains version 1 from the dataset source, stores it and its private chain state, reports progress', async () => {
    const before = tf.memory().numTensors;
    const trained = await train(f, {}, 'model-t');
    expect(tf.memory().numTensors).toBe(before);
    const v1 = await f.modelStore.getVersion(ModelId('model-t'), 1);
    expect(v1?.digest).toBe(trained.digest);
    expect(v1?.parentDigest).toBeNull();
    expect(await f.chainStore.get(ModelId('model-t'), 1)).not.toBeNull();
    expect(trained.digest).toBe(trainedA.digest); // seeded: the same data and recipe, the same bytes
    expect(trained.metrics['trainRecords']).toBe(300);
    expect(trained.metrics['trainAccuracy']).toBeGreaterThan(0.8);
    const kinds = f.sink.results.map((r) => r.kind);
    expect(kinds[0]).toBe('started');
    expect(kinds[kinds.length - 1]).toBe('trained');
    const progress = f.sink.ofKind('progress');
    expect(progress.map((p) => p.stage)).toEqual(expect.arrayContaining(['loading', 'training']));
    expect(progress.map((p) => p.seq)).toEqual(progress.map((_, i) => i + 1));
    for (const p of progress)
      expect(Object.keys(p).sort()).toEqual([
        'at',
        'attempt',
        'done',
        'jobId',
        'kind',
        'modelId',
        'seq',
        'stage',
        'total',
        'workerId',
      ]);
  });

  it('forgets records with a certified LiSSA step: a signed certificate that verifies and names the stored digests', async () => {
    const trained = trainedA;
    const job = anUnlearningJob({ records: [ref(0), ref(1)], datasets });
    const tensors = tf.memory().numTensors;
    const out = await f.runner().handle(jobMessage(job));
    expect(tf.memory().numTensors).toBe(tensors);
    const r = (out as { result: Succeeded }).result;
    expect(r).toMatchObject({
      kind: 'succeeded',
      method: 'newton-lissa',
      versionBefore: 1,
      versionAfter: 2,
    });
    expect(r.digestBefore).toBe(trained.digest);
    const v2 = await f.modelStore.getVersion(ModelId('model-a'), 2);
    expect(v2?.digest).toBe(r.digestAfter);
    expect(v2?.parentDigest).toBe(trained.digest);
    expect(v2?.certificateIds).toEqual([r.certificateId]);
    const payload = await verify(f, r.certificate);
    expect(decodeProtectedHeader(r.certificate).kid).toBe('test-key');
    expect(payload).toMatchObject({
      certificateId: r.certificateId,
      method: 'newton-lissa',
      requestIds: job.requestIds,
      subjectRefs: job.subjectRefs,
      model: {
        modelId: 'model-a',
        versionBefore: 1,
        versionAfter: 2,
        digestBefore: r.digestBefore,
        digestAfter: r.digestAfter,
      },
      guarantee: { type: 'certified', epsilon: 1, delta: 1e-6 },
      sequence: {
        index: 1,
        previousCertificateDigest: null,
        cumulativeEpsilon: 1,
        cumulativeDelta: 1e-6,
      },
      evidence: { lissa: { S: 1, s: 100, H: 5, b: 40 } },
    });
    // The chain state behind v2 is private: its digest (noise-free) appears in no message.
    const chain = await f.chainStore.get(ModelId('model-a'), 2);
    const chainDigest = (JSON.parse(chain!.meta) as { chainDigest: string }).chainDigest;
    expect(chainDigest).not.toBe(r.digestAfter);
    expect(JSON.stringify(f.sink.results)).not.toContain(chainDigest);
    expect(Buffer.from(r.certificate.split('.')[1]!, 'base64url').toString()).not.toContain(
      chainDigest,
    );
  });

  it('a redelivered job publishes the same result again: no second version, no second certificate', async () => {
    const job = anUnlearningJob({ records: [ref(3)], datasets });
    const first = await f.runner().handle(jobMessage(job));
    const again = await f.runner().handle(jobMessage(job));
    expect(again.kind).toBe('republished');
    expect((again as { result: unknown }).result).toEqual((first as { result: unknown }).result);
    expect((await f.modelStore.listVersions(ModelId('model-a'))).map((v) => v.version)).toEqual([
      1, 2,
    ]);
    expect((await f.modelStore.getVersion(ModelId('model-a'), 2))?.certificateIds).toHaveLength(1);
  });

  it('a crash after staging (storing fails) is finished by the next attempt with the same certificate', async () => {
    const job = anUnlearningJob({ records: [ref(4)], datasets });
    const failing = f.runner({
      modelStore: Object.assign(Object.create(f.modelStore) as typeof f.modelStore, {
        putVersion: () =>
          Promise.reject(new ModelStoreError('MODEL_STORE_IO_FAILURE', 'disk full')),
      }),
    });
    const failed = (await failing.handle(jobMessage(job))) as { result: UnlearningResultDataV1 };
    expect(failed.result).toMatchObject({
      kind: 'failed',
      code: 'MODEL_STORE_IO_FAILURE',
      retryable: true,
    });
    expect(await f.modelStore.getVersion(ModelId('model-a'), 2)).toBeNull();
    const staged = await f.journal.staged(job.jobId);
    const retry = await f.runner().handle(jobMessage({ ...job, attempt: 2 }));
    const r = (retry as { result: Succeeded }).result;
    expect(r).toMatchObject({ kind: 'succeeded', attempt: 2 });
    expect(staged?.kind === 'unlearning' && staged.certificate).toBe(r.certificate);
    expect((await f.modelStore.getVersion(ModelId('model-a'), 2))?.digest).toBe(r.digestAfter);
  });

  it('two workers racing on one job converge on one version and one certificate', async () => {
    const job = anUnlearningJob({ records: [ref(5)], datasets });
    const [a, b] = await Promise.all([
      f.runner().handle(jobMessage(job)),
      f.runner().handle(jobMessage(job)),
    ]);
    const ra = (a as { result: Succeeded }).result;
    const rb = (b as { result: Succeeded }).result;
    expect(ra.kind).toBe('succeeded');
    expect(rb.certificate).toBe(ra.certificate);
    expect(rb.digestAfter).toBe(ra.digestAfter);
    expect((await f.modelStore.listVersions(ModelId('model-a'))).map((v) => v.version)).toEqual([
      1, 2,
    ]);
  });

  it('chains certificates: the second names the first JWS and a larger cumulative ε', async () => {
    const first = (await f
      .runner()
      .handle(jobMessage(anUnlearningJob({ records: [ref(6)], datasets })))) as {
      result: Succeeded;
    };
    const second = (await f
      .runner()
      .handle(jobMessage(anUnlearningJob({ baseVersion: 2, records: [ref(7)], datasets })))) as {
      result: Succeeded;
    };
    expect(second.result).toMatchObject({ kind: 'succeeded', versionBefore: 2, versionAfter: 3 });
    const p = await verify(f, second.result.certificate);
    expect(p.sequence.index).toBe(2);
    expect(p.sequence.previousCertificateDigest).toBe(jwsDigest(first.result.certificate));
    expect(p.sequence.cumulativeEpsilon!).toBeGreaterThanOrEqual(1);
    expect(p.model?.digestBefore).toBe(first.result.digestAfter);
  });

  it('no record of the job in the training set: a no-op certificate, no new version', async () => {
    const trained = trainedA;
    const out = (await f
      .runner()
      .handle(
        jobMessage(
          anUnlearningJob({ records: [{ datasetId: 'ds', recordId: 'not-there' }], datasets }),
        ),
      )) as { result: Succeeded };
    expect(out.result).toMatchObject({
      kind: 'succeeded',
      method: 'no-op',
      versionBefore: 1,
      versionAfter: 1,
    });
    expect(out.result.digestAfter).toBe(trained.digest);
    const p = await verify(f, out.result.certificate);
    expect(p).toMatchObject({
      method: 'no-op',
      guarantee: { type: 'exact', epsilon: 0, delta: 0 },
    });
    expect(await f.modelStore.listVersions(ModelId('model-a'))).toHaveLength(1);
  });

  it('retrain-only policy: an exact certificate', async () => {
    await train(f, { methods: ['retrain'] }, 'model-b');
    const out = (await f
      .runner()
      .handle(
        jobMessage(anUnlearningJob({ modelId: 'model-b', records: [ref(8)], datasets })),
      )) as {
      result: Succeeded;
    };
    expect(out.result).toMatchObject({ kind: 'succeeded', method: 'retrain' });
    expect(await verify(f, out.result.certificate)).toMatchObject({
      method: 'retrain',
      guarantee: { type: 'exact', epsilon: 0, delta: 0 },
    });
  });

  it('a job carrying a changed policy runs under it (validated again) and the journal keeps what it used', async () => {
    // Model a was trained with newton then retrain; the job carries retrain only (revision 1).
    const job = anUnlearningJob({
      records: [ref(10)],
      datasets,
      policy: { methods: ['retrain'] },
      policyRevision: 1,
    });
    const out = (await f.runner().handle(jobMessage(job))) as { result: Succeeded };
    expect(out.result).toMatchObject({ kind: 'succeeded', method: 'retrain' });
    const staged = await f.journal.staged(job.jobId);
    expect(staged).toMatchObject({ policyRevision: 1, policy: { methods: ['retrain'] } });
    // The trained profile itself is unchanged: a job without a policy still runs newton first.
    expect((await f.journal.modelProfile('model-a'))?.policy.methods).toEqual([
      'newton',
      'retrain',
    ]);

    // A policy the schema refuses: a non-retryable coded failure, nothing claimed or stored.
    const bad = anUnlearningJob({
      records: [ref(11)],
      datasets,
      policy: { methods: ['magic'] },
      policyRevision: 2,
    });
    const refused = (await f.runner().handle(jobMessage(bad))) as {
      result: UnlearningResultDataV1;
    };
    expect(refused.result).toMatchObject({
      kind: 'failed',
      code: 'JOB_INVALID_PROFILE',
      retryable: false,
    });
    expect(await f.journal.staged(bad.jobId)).toBeNull();
    expect(await f.modelStore.listVersions(ModelId('model-a'))).toHaveLength(2);
  });

  it('the certified update cannot honour the policy: retrain when allowed, needs-retrain otherwise', async () => {
    const impossible = { certification: { M, lambdaMin: 0, G: 1e-9, solverTolerance: 0.5 } };
    await train(f, { ...impossible, methods: ['newton', 'retrain'] }, 'model-r');
    const r1 = (await f
      .runner()
      .handle(
        jobMessage(anUnlearningJob({ modelId: 'model-r', records: [ref(9)], datasets })),
      )) as {
      result: Succeeded;
    };
    expect(r1.result).toMatchObject({ kind: 'succeeded', method: 'retrain' });

    await train(f, { ...impossible, methods: ['newton'] }, 'model-n');
    const r2 = (await f
      .runner()
      .handle(
        jobMessage(anUnlearningJob({ modelId: 'model-n', records: [ref(9)], datasets })),
      )) as {
      result: UnlearningResultDataV1;
    };
    expect(r2.result).toMatchObject({ kind: 'needs-retrain', code: 'UNLEARNING_NEEDS_RETRAIN' });
    expect(JSON.stringify(r2.result)).toContain('private-check-failed');
    expect(await f.modelStore.listVersions(ModelId('model-n'))).toHaveLength(1);
    expect(await f.journal.lastStep('model-n')).toBeNull();
  });

  describe('bad input never crashes the worker', () => {
    it('not JSON, or an unknown type: skipped', async () => {
      expect((await f.runner().handle(Buffer.from('{nope'))).kind).toBe('skipped');
      expect((await f.runner().handle(Buffer.from('{"type":"x.y.v9","data":{}}'))).kind).toBe(
        'skipped',
      );
      expect(f.sink.results).toEqual([]);
    });

    it('a job that does not validate: a non-retryable failed result with a stable code', async () => {
      const job = anUnlearningJob({ requestIds: [] });
      const out = (await f.runner().handle(jobMessage(job))) as { result: UnlearningResultDataV1 };
      expect(out.result).toMatchObject({
        kind: 'failed',
        code: 'JOB_INVALID_MESSAGE',
        retryable: false,
        jobId: job.jobId,
      });
    });

    it('a dataset without a source, a bad profile, an unknown base version: coded failures', async () => {
      const noSource = await f
        .runner()
        .handle(
          jobMessage(
            aTrainingJob({ modelId: 'model-x', datasets: [{ datasetId: 'ds', source: null }] }),
          ),
        );
      expect((noSource as { result: unknown }).result).toMatchObject({
        kind: 'failed',
        code: 'DATASET_SOURCE_MISSING',
        retryable: false,
      });
      const badProfile = await f
        .runner()
        .handle(
          jobMessage(aTrainingJob({ datasets, profile: { policy: { methods: ['magic'] } } })),
        );
      expect((badProfile as { result: unknown }).result).toMatchObject({
        kind: 'failed',
        code: 'JOB_INVALID_PROFILE',
      });
      const stale = await f
        .runner()
        .handle(jobMessage(anUnlearningJob({ baseVersion: 7, records: [ref(1)], datasets })));
      expect((stale as { result: unknown }).result).toMatchObject({
        kind: 'failed',
        code: 'JOB_BASE_VERSION_NOT_FOUND',
      });
    });
  });
});
