import type { JobDatasetV1, UnlearningJobRecordRef } from '@lethe/shared';
import { makeDataset, type Dataset } from '../model/dataset';
import type { DatasetShape } from '../ports/dataset-source.port';
import type { DatasetSourceFactory } from './job-ports';
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

/**
 * Reads the rows of the job's datasets through the DatasetSource port into one engine Dataset,
 * with qualified ids. Excluded ids (and, with `only`, every id outside it) are dropped by the
 * adapter before their features are parsed. All datasets must have the same feature width; the
 * class count is the largest.
 */
export const loadJobData = async (
  factory: DatasetSourceFactory,
  o: LoadOptions,
): Promise<{ data: Dataset; shape: DatasetShape }> => {
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
