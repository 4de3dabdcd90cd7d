import { selectRows, type Dataset } from '../model/dataset';
import type { DatasetShape } from '../ports/dataset-source.port';

/** What one cached read was: its rows (qualified ids, file order) and the sources' shape. */
export interface CachedJobData {
  readonly data: Dataset;
  readonly shape: DatasetShape;
}

/** The default memory budget of the cache: the features and labels it holds, all models. */
export const JOB_DATA_CACHE_DEFAULT_BYTES = 512 * 1024 * 1024;

const bytesOf = (v: CachedJobData): number => v.data.features.byteLength + v.data.labels.byteLength;

/**
 * The worker's cache of parsed job data (docs/benchmarks.md (g)): per model, the rows of its last
 * job (D of the training job, D_r of an unlearning job), keyed by the fingerprints of the job's
 * sources (`DatasetSource.fingerprint`: the descriptor and a SHA-256 of the bytes). The next job
 * of the model reads a subset of those rows (D_r minus its records) from the cache instead of
 * parsing the sources again, when the fingerprints are the same and every row it needs is held;
 * otherwise it reads the sources and refreshes the entry. An unlearning job drops the records it
 * forgets from the entry as soon as it has read them (`dropRecords`): the erased subjects' rows
 * stay in memory only in the job that removes them, never in the cache after it. PRIVATE: worker
 * memory only, never written or published. Bounded: at most `maxModels` entries and `maxBytes` of
 * features and labels, least recently used dropped first; an entry larger than the budget is not
 * kept. Entries are shared with the job that read them: neither side mutates a Dataset.
 */
export class JobDataCache {
  private readonly entries = new Map<string, { key: string; value: CachedJobData }>();
  private bytes = 0;

  constructor(
    private readonly maxModels = 4,
    private readonly maxBytes = JOB_DATA_CACHE_DEFAULT_BYTES,
  ) {}

  get(modelId: string, key: string): CachedJobData | undefined {
    const e = this.entries.get(modelId);
    if (!e) return undefined;
    if (e.key !== key) {
      this.delete(modelId);
      return undefined;
    }
    this.entries.delete(modelId);
    this.entries.set(modelId, e);
    return e.value;
  }

  set(modelId: string, key: string, value: CachedJobData): void {
    this.delete(modelId);
    if (bytesOf(value) > this.maxBytes) return;
    this.entries.set(modelId, { key, value });
    this.bytes += bytesOf(value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxModels && this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  /** Removes these qualified ids' rows from the model's entry (the records a job forgets). */
  dropRecords(modelId: string, ids: readonly string[]): void {
    const e = this.entries.get(modelId);
    if (!e || ids.length === 0) return;
    const drop = new Set(ids);
    const keep: number[] = [];
    e.value.data.ids.forEach((q, i) => {
      if (!drop.has(q)) keep.push(i);
    });
    if (keep.length === e.value.data.ids.length) return;
    this.bytes -= bytesOf(e.value);
    const value = { data: selectRows(e.value.data, keep), shape: e.value.shape };
    e.value = value;
    this.bytes += bytesOf(value);
  }

  delete(modelId: string): void {
    const e = this.entries.get(modelId);
    if (!e) return;
    this.entries.delete(modelId);
    this.bytes -= bytesOf(e.value);
  }

  /** How many models have an entry (tests). */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes of features and labels held, all entries (tests). */
  get heldBytes(): number {
    return this.bytes;
  }

  /** The model's cached ids, or undefined (tests). */
  idsOf(modelId: string): readonly string[] | undefined {
    return this.entries.get(modelId)?.value.data.ids;
  }
}
