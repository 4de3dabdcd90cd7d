import { engine, useBackend, backendUnderTest, liveTensors } from '../../../test/tf-test-helpers';
import { gaussianBlobs } from '../../infrastructure/data/synthetic';
import { datasetDigest } from '../../infrastructure/data/digest';
import { mlp } from '../model/architecture';
import { selectRows, withoutIds, type Dataset } from '../model/dataset';
import { distance } from '../model/flat-vector';
import { trainModel } from '../trained-model';
import { fitSoftmax64 } from '../../testing/float64-softmax';
import { assertHonestGuarantee } from '../../domain/model/guarantee';
import {
  convexNewtonUnlearn,
  keepConvexFactor,
  trainConvexModel,
  type ConvexNewtonSettings,
} from './convex-newton';
import {
  assertExtractorIndependent,
  featurize,
  mlpHiddenExtractor,
  randomFeatureExtractor,
  type FeatureExtractor,
} from './feature-extractor';
import { rowsOf } from './solve-to-tolerance';

jest.setTimeout(120_000);

const errorOf = (f: () => unknown): { code?: string; message: string } => {
  try {
    f();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a refusal');
};

const asyncErrorOf = async (p: Promise<unknown>): Promise<{ code?: string; message: string }> => {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
};

/**
 * The frozen extractor (docs/adr/0011-convex-newton.md "The frozen extractor"): a public,
 * never-deletable set trains an MLP whose hidden layer becomes φ; the convex head is trained and
 * unlearned on φ of the deletable data; the certificate records φ's digest and provenance.
 */
describe(`convex-newton on a frozen extractor's features (${backendUnderTest()})`, () => {
  const l2 = 0.05;
  const tau = 1e-5;
  // Two disjoint sets (ids public-i vs deletable-i): the extractor sees only the public one.
  const publicSet = gaussianBlobs({ n: 240, dim: 8, classes: 3, seed: 'public', name: 'public' });
  const deletable = gaussianBlobs({ n: 300, dim: 8, classes: 3, seed: 'del', name: 'deletable' });
  let extractor: FeatureExtractor;

  beforeAll(async () => {
    await useBackend();
    const trained = await trainModel(engine, {
      arch: mlp([8, 6, 3], 'tanh'),
      data: publicSet,
      recipe: { C: 50, l2: 1e-3, learningRate: 1e-2, batchSize: 32, seed: 5, epochs: 3 },
    });
    extractor = mlpHiddenExtractor(trained, {
      data: publicSet,
      digest: datasetDigest(publicSet),
      description: 'hidden layer of an 8-6-3 tanh MLP trained on the public blobs',
    });
  });

  it('records the extractor’s digest and provenance (public values only) in the certificate', async () => {
    const features = featurize(extractor, deletable);
    expect(features.dim).toBe(6);
    expect(features.ids).toEqual(deletable.ids);
    const settings: ConvexNewtonSettings = {
      epsilon: 1,
      delta: 1e-5,
      solver: { tolerance: tau, maxSteps: 5, hessian: 'cg', keptFactor: true },
      extractor,
    };
    const model = await trainConvexModel(engine, {
      data: features,
      l2,
      solver: settings.solver,
      dataDigest: datasetDigest(features),
      extractor,
    });
    const before = liveTensors();
    const forgetIds = [deletable.ids[3] as string, deletable.ids[9] as string];
    const out = await convexNewtonUnlearn(engine, {
      start: { arch: model.arch, params: model.params, recipe: model.profile.recipe },
      data: features,
      forgetIds,
      settings,
      seed: 'ex',
      factor: keepConvexFactor(model.params, features, l2),
    });
    expect(liveTensors()).toBe(before);
    const exact = fitSoftmax64(rowsOf(withoutIds(features, forgetIds)), l2).theta;
    expect(distance(out.private.chainParams, exact)).toBeLessThanOrEqual(tau);
    const a = out.public.guarantee.assumptions;
    expect(a).toMatchObject({
      features: 'frozen-extractor',
      extractorKind: 'mlp-hidden',
      extractorDigest: extractor.digest,
      extractorInputDim: 8,
      extractorOutputDim: 6,
      extractorActivation: 'tanh',
      extractorTrainedOnDigest: datasetDigest(publicSet),
      extractorTrainedOnCount: 240,
    });
    expect(extractor.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(() => assertHonestGuarantee(out.public.guarantee)).not.toThrow();
    // Nothing deletable (no id of the deletable set, no training id list) is published.
    const published = JSON.stringify(out.public.guarantee);
    expect(published).not.toContain('public-');
    expect(published).not.toContain(deletable.ids[3] as string);
  });

  it('the extractor never sees deletable records: an overlap is refused everywhere', async () => {
    // A deletable set that (wrongly) contains a record the extractor was trained on.
    const mixed: Dataset = {
      ...deletable,
      ids: deletable.ids.map((id, i) => (i === 5 ? (publicSet.ids[0] as string) : id)),
    };
    expect(errorOf(() => featurize(extractor, mixed)).code).toBe('INVALID_UNLEARNING_SETTINGS');
    expect(errorOf(() => assertExtractorIndependent(extractor, mixed)).message).toMatch(
      /records that may be deleted/,
    );
    const mixedFeatures = { ...featurize(extractor, deletable), ids: mixed.ids };
    const e = await asyncErrorOf(
      trainConvexModel(engine, {
        data: mixedFeatures,
        l2,
        solver: { tolerance: tau },
        dataDigest: datasetDigest(mixedFeatures),
        extractor,
      }),
    );
    expect(e.code).toBe('INVALID_UNLEARNING_SETTINGS');
  });

  it('refuses an extractor not trained on the stated data, tampered weights, and raw inputs passed as features', async () => {
    const trained = await trainModel(engine, {
      arch: mlp([8, 6, 3], 'tanh'),
      data: selectRows(publicSet, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      recipe: { C: 50, l2: 1e-3, learningRate: 1e-2, batchSize: 4, seed: 5, epochs: 1 },
    });
    expect(
      errorOf(() =>
        mlpHiddenExtractor(trained, {
          data: publicSet,
          digest: datasetDigest(publicSet),
          description: 'x',
        }),
      ).code,
    ).toBe('INVALID_UNLEARNING_SETTINGS');
    const tampered = { ...extractor, weights: Float32Array.from(extractor.weights, (v) => v * 2) };
    expect(errorOf(() => featurize(tampered, deletable)).message).toMatch(/digest/);
    const e = await asyncErrorOf(
      trainConvexModel(engine, {
        data: deletable,
        l2,
        solver: { tolerance: tau },
        dataDigest: datasetDigest(deletable),
        extractor,
      }),
    );
    expect(e.code).toBe('INVALID_UNLEARNING_SETTINGS');
  });

  it('a seeded random-features map is data-free, deterministic and digest-stable', () => {
    const a = randomFeatureExtractor({ inputDim: 8, outputDim: 16, seed: 'rf' });
    const b = randomFeatureExtractor({ inputDim: 8, outputDim: 16, seed: 'rf' });
    const c = randomFeatureExtractor({ inputDim: 8, outputDim: 16, seed: 'rf2' });
    expect(a.digest).toBe(b.digest);
    expect(a.digest).not.toBe(c.digest);
    expect(a.provenance).toMatchObject({ trainedOnCount: 0, trainedOnDigest: 'none' });
    const f = featurize(a, deletable);
    expect(f.dim).toBe(16);
    expect(Math.max(...Array.from(f.features, Math.abs))).toBeLessThanOrEqual(1);
  });
});
