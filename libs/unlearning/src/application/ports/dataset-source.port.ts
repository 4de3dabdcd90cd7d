import type { RecordId } from '@lethe/shared';
import { makeDataset, type Dataset } from '../model/dataset';
import type { DatasetSourceDescriptor } from './dataset-source-descriptor';
import { DatasetSourceError, DatasetSourceErrorCode } from './dataset-source.errors';

/*
 * The port between the worker's use cases and the training data: rows {recordId, features, label}
 * streamed in batches. Adapters: infrastructure/datasets/ (`MnistDatasetSource`,
 * `FileDatasetSource` for NDJSON/CSV, `createDatasetSource(descriptor, { dataRoot })`).
 *
 * Erasure contract: every read names the record ids to exclude (`exclude` is required, pass an
 * empty set explicitly when nothing is erased). The adapter drops those rows itself, before a
 * feature is parsed or a row is handed over: an erased record never reaches the caller.
 */

/** What a source declares before any row is read. */
export interface DatasetShape {
  /** Number of features per row (the model's input dimension). */
  readonly featureDim: number;
  /** Labels are integers in [0, classCount). */
  readonly classCount: number;
  /** Feature names in order (CSV header / NDJSON keys; `pixel-<i>` for MNIST). */
  readonly featureNames: readonly string[];
}

/** One row. `features` has `featureDim` entries (a view into the batch's buffer). */
export interface DatasetRow {
  readonly recordId: RecordId;
  readonly features: Float32Array;
  readonly label: number;
}

/** Up to `batchSize` rows, columnar: row i is `features[i*dim, (i+1)*dim)`, `labels[i]`. */
export interface DatasetBatch {
  readonly recordIds: readonly RecordId[];
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly featureDim: number;
}

export interface DatasetReadOptions {
  /** Record ids that must never be read (erased). Required: pass `new Set()` when none. */
  readonly exclude: ReadonlySet<string>;
  /**
   * When given, only these record ids are read; every other row is dropped like an excluded one
   * (before its features are parsed). The worker passes the ids a model version was trained on.
   */
  readonly only?: ReadonlySet<string>;
  /** Rows per batch (default 1024). */
  readonly batchSize?: number;
}

export interface DatasetSource {
  readonly descriptor: DatasetSourceDescriptor;
  /**
   * Feature dimension, class count and feature names. Cheap when the descriptor declares the
   * class count (reads the header / first row only); otherwise one validating pass (cached).
   */
  shape(): Promise<DatasetShape>;
  /**
   * Streams the rows that are not excluded, in file order, validating every row (coded
   * `DatasetSourceError` with the line number on the first bad one). Memory: one batch plus the
   * duplicate-id index (16–32 bytes per record id in the file adapter).
   */
  read(options: DatasetReadOptions): AsyncIterable<DatasetBatch>;
  /**
   * A digest of everything a read depends on (the descriptor and the source's bytes): two reads
   * with the same options from a source whose fingerprint did not change return the same rows.
   * The worker keys its cache of parsed rows by it (application/jobs/job-data-cache.ts). A source
   * without it is read anew on every job.
   */
  fingerprint?(): Promise<string>;
}

export const DEFAULT_BATCH_SIZE = 1024;

export const checkBatchSize = (batchSize: number | undefined): number => {
  const b = batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(b) || b < 1 || b > 1_000_000) {
    throw new DatasetSourceError(
      DatasetSourceErrorCode.INVALID_READ_OPTIONS,
      'batchSize must be an integer in [1, 1000000]',
      { batchSize },
    );
  }
  return b;
};

/** Rows one by one (features are views into each batch; copy them to keep them). */
export async function* datasetRows(
  source: DatasetSource,
  options: DatasetReadOptions,
): AsyncGenerator<DatasetRow> {
  for await (const b of source.read(options)) {
    for (let i = 0; i < b.recordIds.length; i++) {
      yield {
        recordId: b.recordIds[i] as RecordId,
        features: b.features.subarray(i * b.featureDim, (i + 1) * b.featureDim),
        label: b.labels[i] as number,
      };
    }
  }
}

/**
 * Reads a whole source into the engine's in-memory `Dataset` (what `trainModel` and `unlearn`
 * take), without the excluded records. For data that fits in memory.
 */
export const readDataset = async (
  source: DatasetSource,
  options: DatasetReadOptions & { readonly name: string },
): Promise<Dataset> => {
  const shape = await source.shape();
  const chunks: DatasetBatch[] = [];
  let n = 0;
  for await (const b of source.read(options)) {
    chunks.push(b);
    n += b.recordIds.length;
  }
  const features = new Float32Array(n * shape.featureDim);
  const labels = new Int32Array(n);
  const ids: string[] = [];
  let row = 0;
  for (const b of chunks) {
    features.set(b.features, row * shape.featureDim);
    labels.set(b.labels, row);
    for (const id of b.recordIds) ids.push(id);
    row += b.recordIds.length;
  }
  return makeDataset({
    name: options.name,
    features,
    labels,
    ids,
    dim: shape.featureDim,
    classes: shape.classCount,
  });
};
