import { readDataset, type DatasetBatch } from '../../application/ports/dataset-source.port';
import { withoutIds } from '../../application/model/dataset';
import { loadMnist, MNIST_DIM } from '../data/mnist';
import { createDatasetSource } from './create-dataset-source';
import { MnistDatasetSource } from './mnist-source';

describe('MnistDatasetSource', () => {
  it('declares 784 features and 10 classes', async () => {
    const shape = await new MnistDatasetSource().shape();
    expect([shape.featureDim, shape.classCount, shape.featureNames.length]).toEqual([
      MNIST_DIM,
      10,
      MNIST_DIM,
    ]);
  });

  it('yields the digits of loadMnist with the same stable ids, minus the excluded ones', async () => {
    const source = createDatasetSource({ kind: 'mnist', limit: 1500 }, { dataRoot: '/nowhere' });
    const erased = ['mnist-0', 'mnist-17', 'mnist-1499', 'mnist-99999'];
    const got = await readDataset(source, { exclude: new Set(erased), name: 'm' });
    const want = withoutIds(loadMnist({ limit: 1500 }), erased.slice(0, 3));
    expect(got.ids).toEqual(want.ids);
    expect(got.ids).not.toContain('mnist-17');
    expect(got.labels).toEqual(want.labels);
    // Every feature, element by element with Object.is (what toEqual does), as one index: toEqual
    // itself takes 8–25 s over these 1.2 M floats, past the 5 s test timeout on a loaded machine
    // (it passed only because that part of the test runs without yielding to the timer).
    expect(got.features).toHaveLength(want.features.length);
    expect(got.features.findIndex((v, i) => !Object.is(v, want.features[i]))).toBe(-1);
  });

  it('perDigit: the first n of each digit, ids kept from the whole set, erased ones still dropped', async () => {
    const source = createDatasetSource({ kind: 'mnist', perDigit: 5 }, { dataRoot: '/nowhere' });
    const all = loadMnist();
    const seen = new Map<number, number>();
    const want = all.ids.filter((_, i) => {
      const d = all.labels[i]!;
      seen.set(d, (seen.get(d) ?? 0) + 1);
      return seen.get(d)! <= 5;
    });
    const got = await readDataset(source, { exclude: new Set([want[7]!]), name: 'm' });
    expect(got.ids).toEqual(want.filter((_, i) => i !== 7));
    expect(got.ids).toHaveLength(49);
    expect([...new Set(got.labels)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('batches by batchSize and honours normalise: false', async () => {
    const source = new MnistDatasetSource({ kind: 'mnist', limit: 25, normalise: false });
    const batches: DatasetBatch[] = [];
    for await (const b of source.read({ exclude: new Set(['mnist-3']), batchSize: 10 })) {
      batches.push(b);
    }
    expect(batches.map((b) => b.recordIds.length)).toEqual([10, 10, 4]);
    const all = batches.flatMap((b) => Array.from(b.features));
    expect(Math.min(...all)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...all)).toBeLessThanOrEqual(1);
  });
});
