import type { JobDatasetV1, UnlearningJobRecordRef } from '@lethe/shared';
import { makeDataset, selectRows } from '../model/dataset';
import type { DatasetShape } from '../ports/dataset-source.port';
import type { DatasetSourceFactory } from './job-ports';
import type { CachedJobData, JobDataCache } from './job-data-cache';
import { JobError, JobErrorCode } from './job-errors';

/**
 * Record ids inside the worker are qualified by their dataset, `datasetId/recordId` (a dataset id
 * has no `/`), the same keys the governance's training-set digest uses.
 */
export const qualifiedId = (r: UnlearningJobRecordRef): string => `${r.datasetId}/${r.recordId}`;

const splitQualified = (q: string): { datasetId: string; recordId: string } => {
  const i = q.indexOf('/');
  return { datasetId: q.slice(0, i), recordId: q.slice(i + 1) };
};

export interface LoadOptions {
  readonly datasets: readonly JobDatasetV1[];
  /** Qualified ids never to read (erased). */
  readonly exclude: ReadonlySet<string>;
  /** When given: read only these qualified ids (a version's training records). */
  readonly only?: ReadonlySet<string>;
  readonly name: string;
}

/** The worker's cache of parsed rows and the model whose job reads (job-data-cache.ts). */
export interface JobDataCacheSlot {
  readonly cache: JobDataCache;
  readonly modelId: string;
}

/**
 * Reads the rows of the job's datasets through the DatasetSource port into one engine Dataset,
 * with qualified ids. Excluded ids (and, with `only`, every id outside it) are dropped by the
 * adapter before their features are parsed. All datasets must have the same feature width; the
 * class count is the largest.
 *
 * With a cache slot: when every source has a fingerprint, and the model's cached rows were read
 * from sources with the same fingerprints and hold every id of `only` (less `exclude`), the rows
 * are taken from the cache, in the same order, with the same values as a read would give;
 * otherwise the sources are read. Either way the entry becomes this job's rows. A read is cached
 * only when the fingerprints are the same after it as before (a file changed during the read is
 * not cached).
 */
export const loadJobData = async (
  factory: DatasetSourceFactory,
  o: LoadOptions,
  slot?: JobDataCacheSlot,
): Promise<CachedJobData> => {
  if (!slot) return readJobData(factory, o);
  const key = await fingerprintOf(factory, o.datasets);
  if (key === null) return readJobData(factory, o);
  const hit = slot.cache.get(slot.modelId, key);
  const fromCache = hit ? subsetOf(hit, o) : undefined;
  if (fromCache) {
    slot.cache.set(slot.modelId, key, fromCache);
    return fromCache;
  }
  const read = await readJobData(factory, o);
  if ((await fingerprintOf(factory, o.datasets)) === key) slot.cache.set(slot.modelId, key, read);
  else slot.cache.delete(slot.modelId);
  return read;
};

/**
 * The job's sources' fingerprints, in order; null when a source has none or cannot give one
 * (never cached then: the read itself decides, and it skips a dataset with no wanted row, whose
 * file may be gone).
 */
const fingerprintOf = async (
  factory: DatasetSourceFactory,
  datasets: readonly JobDatasetV1[],
): Promise<string | null> => {
  const parts: string[] = [];
  for (const d of datasets) {
    if (!d.source) return null;
    const source = factory(d.source);
    if (!source.fingerprint) return null;
    const fingerprint = await source.fingerprint().catch(() => null);
    if (fingerprint === null) return null;
    parts.push(`${d.datasetId}=${fingerprint}`);
  }
  return parts.join('\n');
};

/**
 * The rows of `o` from a cached read of the same sources: only with `only` (a training job's
 * "everything but" cannot be proved complete from a subset), and only when every id of `only`
 * that is not excluded is cached; otherwise undefined.
 */
const subsetOf = (hit: CachedJobData, o: LoadOptions): CachedJobData | undefined => {
  const { only, exclude } = o;
  if (!only) return undefined;
  let wanted = 0;
  for (const q of only) if (!exclude.has(q)) wanted++;
  if (wanted === 0) return undefined;
  const rows: number[] = [];
  // A read skips a dataset with no wanted row, and its class count then does not count: the
  // cached rows serve only when they come from the same datasets as the wanted ones.
  const cachedFrom = new Set<string>();
  const wantedFrom = new Set<string>();
  hit.data.ids.forEach((q, i) => {
    const datasetId = q.slice(0, q.indexOf('/'));
    cachedFrom.add(datasetId);
    if (only.has(q) && !exclude.has(q)) {
      rows.push(i);
      wantedFrom.add(datasetId);
    }
  });
  if (rows.length !== wanted || wantedFrom.size !== cachedFrom.size) return undefined;
  // Every cached row, in order (the usual case: the entry is the previous job's D_r): the same
  // arrays under the job's name (a Dataset is never mutated), no copy.
  if (rows.length === hit.data.ids.length)
    return { data: { ...hit.data, name: o.name }, shape: hit.shape };
  return { data: selectRows(hit.data, rows, o.name), shape: hit.shape };
};

const readJobData = async (
  factory: DatasetSourceFactory,
  o: LoadOptions,
): Promise<CachedJobData> => {
  const byDataset = (ids: ReadonlySet<string> | undefined, datasetId: string) => {
    if (!ids) return undefined;
    const out = new Set<string>();
    for (const q of ids) {
      const s = splitQualified(q);
      if (s.datasetId === datasetId) out.add(s.recordId);
    }
    return out;
  };
  const features: Float32Array[] = [];
  const labels: number[] = [];
  const ids: string[] = [];
  let shape: DatasetShape | null = null;
  let classes = 0;
  for (const d of o.datasets) {
    if (!d.source) {
      throw new JobError(
        JobErrorCode.DATASET_SOURCE_MISSING,
        `dataset ${d.datasetId} has no registered source: the worker cannot read its rows`,
        { datasetId: d.datasetId },
      );
    }
    const only = byDataset(o.only, d.datasetId);
    if (only && only.size === 0) continue;
    const source = factory(d.source);
    const s = await source.shape();
    if (shape && s.featureDim !== shape.featureDim) {
      throw new JobError(
        JobErrorCode.INVALID_MESSAGE,
        `dataset ${d.datasetId} has ${s.featureDim} features, another dataset of the job ${shape.featureDim}`,
        { datasetId: d.datasetId },
      );
    }
    shape ??= s;
    classes = Math.max(classes, s.classCount);
    for await (const b of source.read({
      exclude: byDataset(o.exclude, d.datasetId) ?? new Set(),
      ...(only ? { only } : {}),
    })) {
      features.push(b.features);
      for (let i = 0; i < b.recordIds.length; i++) {
        ids.push(`${d.datasetId}/${b.recordIds[i] as string}`);
        labels.push(b.labels[i] as number);
      }
    }
  }
  if (!shape || ids.length === 0) {
    throw new JobError(JobErrorCode.RECORD_NOT_FOUND, 'the job names no readable record', {});
  }
  const dim = shape.featureDim;
  const all = new Float32Array(ids.length * dim);
  let offset = 0;
  for (const f of features) {
    all.set(f, offset);
    offset += f.length;
  }
  return {
    data: makeDataset({
      name: o.name,
      features: all,
      labels: Int32Array.from(labels),
      ids,
      dim,
      classes,
    }),
    shape: { ...shape, classCount: classes },
  };
};
