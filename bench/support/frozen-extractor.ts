/**
 * The set-up the convex-newton benchmarks share (issue 11, docs/benchmarks.md (g)): the seeded
 * split of the MNIST training digits into a PUBLIC set that is never subject to deletion and the
 * deletable rest, and the frozen extractor, the hidden layer of a 784-H-10 tanh MLP trained on the
 * public set only (docs/method.md §10 "The frozen extractor").
 */
import {
  createRng,
  datasetDigest,
  mlp,
  mlpHiddenExtractor,
  permutation,
  selectRows,
  trainModel,
  type Dataset,
  type FeatureExtractor,
  type NumericEngine,
  type TrainedModel,
} from '@lethe/unlearning';

/** The public (never deletable) split and the deletable digits: disjoint by construction. */
export function publicSplit(
  train: Dataset,
  publicCount = 2000,
): { publicSet: Dataset; deletable: Dataset } {
  const order = Array.from(permutation(train.ids.length, createRng('convex/public-split')));
  const pub = order.slice(0, publicCount).sort((a, b) => a - b);
  const del = order.slice(publicCount).sort((a, b) => a - b);
  return {
    publicSet: selectRows(train, pub, 'mnist/public'),
    deletable: selectRows(train, del, 'mnist/deletable'),
  };
}

/**
 * A `dim`-`width`-`classes` tanh MLP trained on the public set only (Adam, seed 7), and its
 * hidden layer as the frozen extractor, bound to the public set's digest.
 */
export async function trainFrozenExtractor(
  engine: NumericEngine,
  publicSet: Dataset,
  o: { readonly width: number; readonly epochs: number; readonly description?: string },
): Promise<{ extractor: FeatureExtractor; model: TrainedModel }> {
  const model = await trainModel(engine, {
    arch: mlp([publicSet.dim, o.width, publicSet.classes], 'tanh'),
    data: publicSet,
    recipe: {
      C: 1e3,
      l2: 1e-4,
      learningRate: 2e-3,
      batchSize: 64,
      seed: 7,
      epochs: o.epochs,
    },
  });
  const extractor = mlpHiddenExtractor(model, {
    data: publicSet,
    digest: datasetDigest(publicSet),
    description:
      o.description ??
      `tanh hidden layer of a ${publicSet.dim}-${o.width}-${publicSet.classes} MLP trained by Lethe on ${publicSet.ids.length} public MNIST digits that are never subject to deletion`,
  });
  return { extractor, model };
}
