import { ModelId } from '@lethe/shared';
import type { UnlearningResultDataV1 } from '@lethe/shared';
import {
  engine,
  useBackend as selectBackendUnderTest,
  backendUnderTest,
} from '../../../test/tf-test-helpers';
import { tf } from '../../infrastructure/tf/tf';
import { placeSubject } from '../../domain/sisa/sisa-plan';
import { decodeSisaEnsemble } from '../sisa/sisa-codec';
import {
  aConvexProfile,
  anUnlearningJob,
  aSourcedDataset,
  aTrainingJob,
  aWorkerFixture,
  type JobDatasets,
  jobMessage,
  subjectRecords,
  type Succeeded,
  trainOn,
  verifyCertificate,
  type WorkerFixture,
} from '../../testing/jobs';

jest.setTimeout(180_000);

/*
 * The worker's routing of convex-newton and sisa-shard (docs/adr/0017-sisa-shard.md): training
 * makes the model kind the policy names, unlearning runs the policy's method and falls back in
 * order, and the certificate's evidence.policy says what was tried.
 */

const { data, recordsOf } = subjectRecords('methods');
const convexProfile = (policy: Record<string, unknown> = {}) => aConvexProfile({ policy });

const sisaProfile = (sisa: Record<string, unknown> = {}) => ({
  architecture: { kind: 'mlp', hidden: [6], activation: 'tanh' },
  recipe: { C: 20, l2: 5e-4, learningRate: 0.05, epochs: 6, batchSize: 25, seed: 5 },
  policy: {
    methods: ['sisa-shard', 'retrain'],
    sisa: { shards: 4, slices: 2, subjectKey: { kind: 'prefix', separator: '#' }, ...sisa },
  },
});

const verify = async (f: WorkerFixture, jws: string) => (await verifyCertificate(f, jws)).payload;

describe(`worker routing: convex-newton and sisa-shard (${backendUnderTest()})`, () => {
  let f: WorkerFixture;
  let datasets: JobDatasets;

  const train = (modelId: string, profile: Record<string, unknown>) =>
    trainOn(f, { modelId, datasets, profile });
  const unlearn = async (
    modelId: string,
    records: { datasetId: string; recordId: string }[],
    baseVersion = 1,
  ): Promise<UnlearningResultDataV1> =>
    (
      (await f
        .runner()
        .handle(jobMessage(anUnlearningJob({ modelId, baseVersion, records, datasets })))) as {
        result: UnlearningResultDataV1;
      }
    ).result;

  beforeAll(async () => {
    await selectBackendUnderTest();
    f = await aWorkerFixture(engine);
    datasets = aSourcedDataset(f, data);
  });
  afterAll(() => f.cleanup());

  describe('convex-newton', () => {
    it('trains a softmax regression released with noise; the private chain keeps the noise-free solution', async () => {
      const t = await train('convex-a', convexProfile());
      expect(t.metrics['sigma']).toBeGreaterThan(0);
      expect(t.metrics['trainAccuracy']).toBeGreaterThan(0.7);
      const sealed = await f.chainStore.get(ModelId('convex-a'), 1);
      const meta = JSON.parse(sealed!.meta) as {
        chainDigest: string;
        previousReleaseDigest: string;
      };
      // The release is not the private solution, and the private digest is in no message.
      expect(meta.previousReleaseDigest).toBe(t.digest);
      expect(meta.chainDigest).not.toBe(t.digest);
      expect(JSON.stringify(f.sink.results)).not.toContain(meta.chainDigest);
    });

    it('unlearns with a certified convex-newton step; evidence.policy says it was chosen', async () => {
      const r = (await unlearn('convex-a', recordsOf('u1'))) as Succeeded;
      expect(r).toMatchObject({ kind: 'succeeded', method: 'convex-newton', versionAfter: 2 });
      expect(r.reason).toBe('convex-newton chosen (certified-within-policy)');
      const p = await verify(f, r.certificate);
      expect(p).toMatchObject({
        method: 'convex-newton',
        guarantee: { type: 'certified', epsilon: 1, delta: 1e-5 },
        evidence: {
          policy: {
            chosen: 'convex-newton',
            tried: [{ method: 'convex-newton', outcome: 'chosen' }],
          },
        },
      });
      expect((await f.modelStore.getVersion(ModelId('convex-a'), 2))?.digest).toBe(r.digestAfter);
      // The worker's cache of parsed rows keeps D_r for the next job, without the erased rows.
      const cached = f.deps.dataCache?.idsOf('convex-a') ?? [];
      expect(cached.length).toBeGreaterThan(0);
      for (const rec of recordsOf('u1')) {
        expect(cached).not.toContain(`${rec.datasetId}/${rec.recordId}`);
      }
      // A second request continues the chain.
      const r2 = (await unlearn('convex-a', recordsOf('u2'), 2)) as Succeeded;
      expect(r2).toMatchObject({ method: 'convex-newton', versionBefore: 2, versionAfter: 3 });
      expect((await verify(f, r2.certificate)).sequence.cumulativeEpsilon!).toBeGreaterThan(1);
    });

    it('refused (the cumulative budget cannot take one release) → retrain, exact, and says why', async () => {
      const budget = { cumulativeBudget: { epsilon: 0.5, delta: 1e-5 } };
      await train('convex-b', convexProfile(budget));
      const r = (await unlearn('convex-b', recordsOf('u3'))) as Succeeded;
      expect(r).toMatchObject({ kind: 'succeeded', method: 'retrain' });
      expect(r.reason).toContain('convex-newton refused (budget-exceeded');
      expect(r.reason).toContain('retrain chosen');
      expect(await verify(f, r.certificate)).toMatchObject({
        method: 'retrain',
        guarantee: { type: 'exact', epsilon: 0, delta: 0 },
        evidence: {
          policy: {
            chosen: 'retrain',
            tried: [
              { method: 'convex-newton', outcome: 'refused' },
              { method: 'retrain', outcome: 'chosen' },
            ],
          },
        },
      });
    });

    it('refused by a private check (an unreachable accuracy floor) → retrain; only the public code is said', async () => {
      await train('convex-f', convexProfile({ accuracyFloor: 1 }));
      const r = (await unlearn('convex-f', recordsOf('u5'))) as Succeeded;
      expect(r).toMatchObject({ kind: 'succeeded', method: 'retrain' });
      expect(r.reason).toMatch(
        /^convex-newton refused \(private-check-failed.*\); retrain chosen$/,
      );
      const p = await verify(f, r.certificate);
      expect(JSON.stringify(p.evidence)).toContain('private-check-failed');
      expect(JSON.stringify(p.evidence)).not.toContain('accuracy-floor');
    });

    it('refused without retrain in the policy → needs-retrain, nothing released', async () => {
      await train(
        'convex-c',
        convexProfile({
          methods: ['convex-newton'],
          cumulativeBudget: { epsilon: 0.5, delta: 1e-5 },
        }),
      );
      const r = await unlearn('convex-c', recordsOf('u4'));
      expect(r).toMatchObject({ kind: 'needs-retrain', code: 'UNLEARNING_NEEDS_RETRAIN' });
      expect(JSON.stringify(r)).toContain('convex-newton refused (budget-exceeded');
      expect(await f.modelStore.listVersions(ModelId('convex-c'))).toHaveLength(1);
    });
  });

  describe('sisa-shard', () => {
    it('trains k constituents; a deletion retrains one shard: exact certificate with the shard and digests', async () => {
      const before = tf.memory().numTensors;
      const t = await train('sisa-a', sisaProfile());
      expect(t.metrics).toMatchObject({ shards: 4, slices: 2, trainRecords: 300 });
      expect(t.metrics['trainAccuracy']).toBeGreaterThan(0.7);
      const v1 = decodeSisaEnsemble(
        await f.modelStore.readWeights(
          (await f.modelStore.getVersion(ModelId('sisa-a'), 1))!.digest,
        ),
      );
      expect(v1.constituents).toHaveLength(4);

      const r = (await unlearn('sisa-a', recordsOf('u7'))) as Succeeded;
      expect(tf.memory().numTensors).toBe(before);
      expect(r).toMatchObject({ kind: 'succeeded', method: 'sisa-shard', versionAfter: 2 });
      expect(r.reason).toBe('sisa-shard chosen');
      // The worker's record ids are qualified by their dataset: the subject key is `ds/u7`.
      const shard = placeSubject({ shards: 4, slices: 2, key: 5 }, 'ds/u7');
      const p = await verify(f, r.certificate);
      const v2 = decodeSisaEnsemble(await f.modelStore.readWeights(r.digestAfter));
      expect(p).toMatchObject({
        method: 'sisa-shard',
        guarantee: { type: 'exact', epsilon: 0, delta: 0 },
        sequence: { index: 1, cumulativeEpsilon: 0, cumulativeDelta: 0 },
        evidence: {
          policy: { chosen: 'sisa-shard' },
          sisa: {
            shards: 4,
            slices: 2,
            nU: 5,
            retrained: [
              {
                shard: shard.shard,
                fromSlice: shard.slice,
                constituentDigestBefore: v1.constituents[shard.shard]?.digest,
                constituentDigestAfter: v2.constituents[shard.shard]?.digest,
              },
            ],
            ensembleDigestBefore: v1.ensembleDigest,
            ensembleDigestAfter: v2.ensembleDigest,
          },
        },
      });
      // One shard only: the other constituents keep their bytes.
      v1.constituents.forEach((c, i) => {
        if (i === shard.shard) expect(v2.constituents[i]?.digest).not.toBe(c.digest);
        else expect(Array.from(v2.constituents[i]!.params!)).toEqual(Array.from(c.params!));
      });
      // A record id appears in no published message or certificate.
      expect(JSON.stringify(f.sink.results)).not.toContain('u7#');
      expect(Buffer.from(r.certificate.split('.')[1]!, 'base64url').toString()).not.toContain(
        'u7#',
      );
    });

    it('records the model was never trained on: a no-op certificate', async () => {
      const r = (await unlearn(
        'sisa-a',
        [{ datasetId: 'ds', recordId: 'nobody#1' }],
        2,
      )) as Succeeded;
      expect(r).toMatchObject({ method: 'no-op', versionBefore: 2, versionAfter: 2 });
    });
  });

  it('refuses profiles the methods cannot serve, with JOB_INVALID_PROFILE', async () => {
    for (const profile of [
      { ...convexProfile(), architecture: { kind: 'mlp', hidden: [4] } },
      { ...convexProfile(), recipe: { l2: 0 } },
      { policy: { methods: ['sisa-shard'] } },
      { ...sisaProfile(), policy: { ...sisaProfile().policy, methods: ['retrain', 'sisa-shard'] } },
      {
        ...convexProfile(),
        policy: { methods: ['convex-newton', 'sisa-shard'], sisa: { shards: 2 } },
      },
      sisaProfile({ shards: 65 }),
    ]) {
      const out = await f
        .runner()
        .handle(jobMessage(aTrainingJob({ modelId: 'bad', datasets, profile })));
      expect((out as { result: unknown }).result).toMatchObject({
        kind: 'failed',
        code: 'JOB_INVALID_PROFILE',
      });
    }
  });
});
