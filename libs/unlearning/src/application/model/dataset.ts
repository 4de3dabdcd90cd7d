import { unlearningError, EngineErrorCode } from '../errors';

/**
 * A labelled dataset in plain typed arrays. Row i: features[i*dim .. (i+1)*dim), labels[i], ids[i].
 * Every sample keeps its record id through every split and selection.
 */
export interface Dataset {
  readonly name: string;
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly ids: readonly string[];
  readonly dim: number;
  readonly classes: number;
}

export const datasetSize = (ds: Dataset): number => ds.labels.length;

export const makeDataset = (d: Dataset): Dataset => {
  const n = d.labels.length;
  if (d.features.length !== n * d.dim || d.ids.length !== n) {
    throw unlearningError(
      EngineErrorCode.InvalidDataset,
      'dataset arrays disagree in size',
      {
        n,
        features: d.features.length,
        ids: d.ids.length,
        dim: d.dim,
      },
      'validation',
    );
  }
  for (let i = 0; i < n; i++) {
    const y = d.labels[i] as number;
    if (y < 0 || y >= d.classes) {
      throw unlearningError(
        EngineErrorCode.InvalidDataset,
        `label ${y} out of range`,
        {
          row: i,
        },
        'validation',
      );
    }
  }
  if (new Set(d.ids).size !== n) {
    throw unlearningError(
      EngineErrorCode.InvalidDataset,
      'record ids are not unique',
      {},
      'validation',
    );
  }
  return d;
};

/** Rows by position, in the given order. */
export const selectRows = (ds: Dataset, rows: ArrayLike<number>, name = ds.name): Dataset => {
  const m = rows.length;
  const features = new Float32Array(m * ds.dim);
  const labels = new Int32Array(m);
  const ids: string[] = new Array<string>(m);
  // Runs of consecutive rows are copied at once (D_r of a request is D less a few rows: a few
  // runs, instead of one typed-array view per row).
  for (let i = 0; i < m;) {
    const r = rows[i] as number;
    let j = i + 1;
    while (j < m && (rows[j] as number) === r + (j - i)) j++;
    features.set(ds.features.subarray(r * ds.dim, (r + j - i) * ds.dim), i * ds.dim);
    for (let t = i; t < j; t++) {
      labels[t] = ds.labels[r + (t - i)] as number;
      ids[t] = ds.ids[r + (t - i)] as string;
    }
    i = j;
  }
  return { name, features, labels, ids, dim: ds.dim, classes: ds.classes };
};

export const rowsOfIds = (ds: Dataset, ids: readonly string[]): number[] => {
  const index = new Map<string, number>();
  ds.ids.forEach((id, i) => index.set(id, i));
  const missing: string[] = [];
  const rows = ids.map((id) => {
    const r = index.get(id);
    if (r === undefined) missing.push(id);
    return r ?? -1;
  });
  if (missing.length > 0) {
    throw unlearningError(
      EngineErrorCode.UnknownRecords,
      `${missing.length} record ids are not in ${ds.name}`,
      {
        missing: missing.slice(0, 10),
        count: missing.length,
      },
      'validation',
    );
  }
  return rows;
};

export const selectIds = (ds: Dataset, ids: readonly string[], name = ds.name): Dataset =>
  selectRows(ds, rowsOfIds(ds, ids), name);

/** The dataset without the given ids (order of the remaining rows kept). Unknown ids throw. */
export const withoutIds = (ds: Dataset, ids: readonly string[], name = ds.name): Dataset => {
  rowsOfIds(ds, ids);
  const drop = new Set(ids);
  const rows: number[] = [];
  ds.ids.forEach((id, i) => {
    if (!drop.has(id)) rows.push(i);
  });
  return selectRows(ds, rows, name);
};

export const concatDatasets = (a: Dataset, b: Dataset, name = a.name): Dataset => {
  if (a.dim !== b.dim || a.classes !== b.classes) {
    throw unlearningError(
      EngineErrorCode.InvalidDataset,
      'cannot concatenate datasets of different shape',
      {},
      'validation',
    );
  }
  const features = new Float32Array(a.features.length + b.features.length);
  features.set(a.features, 0);
  features.set(b.features, a.features.length);
  const labels = new Int32Array(a.labels.length + b.labels.length);
  labels.set(a.labels, 0);
  labels.set(b.labels, a.labels.length);
  return makeDataset({
    name,
    features,
    labels,
    ids: [...a.ids, ...b.ids],
    dim: a.dim,
    classes: a.classes,
  });
};
