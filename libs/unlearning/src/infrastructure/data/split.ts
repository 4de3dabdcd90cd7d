import { createRng } from '../../application/model/rng';
import { datasetSize, selectRows, type Dataset } from '../../application/model/dataset';
import { unlearningError, EngineErrorCode } from '../../application/errors';

export interface RecordedSplit {
  readonly seed: string;
  /** What was split, e.g. 'train/test' or 'forget/retain'. */
  readonly kind: string;
  readonly firstIds: readonly string[];
  readonly secondIds: readonly string[];
}

/**
 * Seeded partition: a random permutation of the rows; `first` = its first firstCount rows,
 * `second` = the next secondCount rows (default: all the rest). Both sorted by original position.
 */
const seededPartition = (
  ds: Dataset,
  firstCount: number,
  seed: number | string,
  kind: string,
  secondCount?: number,
): { first: number[]; second: number[]; record: RecordedSplit } => {
  const n = datasetSize(ds);
  const rest = secondCount ?? n - firstCount;
  const ok = (v: number) => Number.isInteger(v) && v >= 0;
  if (!ok(firstCount) || !ok(rest) || firstCount + rest > n) {
    throw unlearningError(
      EngineErrorCode.InvalidSettings,
      `cannot take ${firstCount} + ${rest} of ${n} rows`,
      {},
      'validation',
    );
  }
  const perm = createRng(`split/${kind}/${String(seed)}`).permutation(n);
  const first = Array.from(perm.subarray(0, firstCount)).sort((a, b) => a - b);
  const second = Array.from(perm.subarray(firstCount, firstCount + rest)).sort((a, b) => a - b);
  return {
    first,
    second,
    record: {
      seed: String(seed),
      kind,
      firstIds: first.map((r) => ds.ids[r] as string),
      secondIds: second.map((r) => ds.ids[r] as string),
    },
  };
};

/**
 * Seeded train/test split; rows keep their original order inside each part. `trainSize` takes a
 * random subset of that size of the non-test rows (default: all of them).
 */
export const trainTestSplit = (
  ds: Dataset,
  opts: { testSize: number; seed: number | string; trainSize?: number },
): { train: Dataset; test: Dataset; split: RecordedSplit } => {
  const p = seededPartition(ds, opts.testSize, opts.seed, 'train/test', opts.trainSize);
  return {
    test: selectRows(ds, p.first, `${ds.name}/test`),
    train: selectRows(ds, p.second, `${ds.name}/train`),
    split: p.record,
  };
};

/** Seeded choice of the set to forget D_u (count rows) and the remaining set D_r. */
export const forgetRetainSplit = (
  ds: Dataset,
  opts: { forgetCount: number; seed: number | string },
): { forget: Dataset; retain: Dataset; split: RecordedSplit } => {
  const p = seededPartition(ds, opts.forgetCount, opts.seed, 'forget/retain');
  return {
    forget: selectRows(ds, p.first, `${ds.name}/forget`),
    retain: selectRows(ds, p.second, `${ds.name}/retain`),
    split: p.record,
  };
};
