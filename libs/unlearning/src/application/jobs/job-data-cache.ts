import type { Dataset } from '../model/dataset';
import type { DatasetShape } from '../ports/dataset-source.port';

/** What one cached read was: its rows (qualified ids, file order) and the sources' shape. */
export interface CachedJobData {
  readonly data: Dataset;
  readonly shape: DatasetShape;
}

/**
 * The worker's cache of parsed job data (docs/benchmarks.md (g)): per model, the rows of its last
 * job (D of the training job, D_r of an unlearning job), keyed by the fingerprints of the job's
 * sources (`DatasetSource.fingerprint`: the descriptor and a SHA-256 of the bytes). The next job
 * of the model reads a subset of those rows (D_r minus its records) from the cache instead of
 * parsing the sources again, when the fingerprints are the same and every row it needs is held;
 * otherwise it reads the sources and refreshes the entry. Each entry is replaced by the job's own
 * rows, so a record the model has unlearnt leaves the cache with the next job. PRIVATE: worker
 * memory only, never written or published. Bounded: at most `maxModels` entries, least recently
 * used dropped first.
 */
export class JobDataCache {
  private readonly entries = new Map<string, { key: string; value: CachedJobData }>();

  constructor(private readonly maxModels = 4) {}

  get(modelId: string, key: string): CachedJobData | undefined {
    const e = this.entries.get(modelId);
    if (!e) return undefined;
    if (e.key !== key) {
      this.entries.delete(modelId);
      return undefined;
    }
    this.entries.delete(modelId);
    this.entries.set(modelId, e);
    return e.value;
  }

  set(modelId: string, key: string, value: CachedJobData): void {
    this.entries.delete(modelId);
    this.entries.set(modelId, { key, value });
    while (this.entries.size > this.maxModels) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(modelId: string): void {
    this.entries.delete(modelId);
  }

  /** How many models have an entry (tests). */
  get size(): number {
    return this.entries.size;
  }
}
