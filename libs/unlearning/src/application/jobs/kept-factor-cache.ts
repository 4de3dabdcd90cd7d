import type { SoftmaxHessianFactor } from '../../domain/convex/hessian-factor';

/**
 * The worker's in-memory copy of each model's last kept convex-newton factor (docs/benchmarks.md
 * (g), "The worker's fixed cost per job"): the job that computed the factor of version v leaves it
 * here, and the next job of the model (base version v) takes it instead of reading and decoding
 * the file the private chain store keeps beside the chain state (≈ 1.7 MB at p = 650, SHA-256
 * checked on every read). The entry serves only the same version AND the same chain digest as the
 * base's chain state, with the same row count and shape: the checks a factor read from the store
 * passes. A preconditioner either way: the private float64 check decides every release.
 *
 * PRIVATE like the file (the curvature of the private data at the noise-free centre): worker memory
 * only, never written or published. Bounded: one entry per model (the last version), at most
 * `maxModels` models and `maxBytes` of factor arrays in all (a p × p factor grows as p²: at
 * p = 7,850 (784 features × 10 classes) one is ≈ 490 MB, so a factor over the budget is not kept),
 * least recently used dropped first. Entries are shared, never mutated: the
 * engine's downdate copies the factor (`downdateSoftmaxHessianFactor`).
 */
/** The default memory budget of the cache: the factors' arrays, all models. */
export const KEPT_FACTOR_CACHE_DEFAULT_BYTES = 256 * 1024 * 1024;

const bytesOf = (f: SoftmaxHessianFactor): number =>
  f.upper.byteLength +
  f.centre.byteLength +
  (f.lastGradient ? f.lastGradient.at.byteLength + f.lastGradient.gradient.byteLength : 0);

export class KeptFactorCache {
  private bytes = 0;

  private readonly entries = new Map<
    string,
    {
      readonly version: number;
      readonly chainDigest: string;
      readonly factor: SoftmaxHessianFactor;
    }
  >();

  constructor(
    private readonly maxModels = 4,
    private readonly maxBytes = KEPT_FACTOR_CACHE_DEFAULT_BYTES,
  ) {}

  /** The factor of `version` of the model bound to `chainDigest`, or undefined. */
  get(modelId: string, version: number, chainDigest: string): SoftmaxHessianFactor | undefined {
    const e = this.entries.get(modelId);
    if (!e || e.version !== version || e.chainDigest !== chainDigest) return undefined;
    this.entries.delete(modelId);
    this.entries.set(modelId, e);
    return e.factor;
  }

  /** Keeps the factor of `version` (replacing the model's entry). */
  set(modelId: string, version: number, chainDigest: string, factor: SoftmaxHessianFactor): void {
    this.delete(modelId);
    if (bytesOf(factor) > this.maxBytes) return;
    this.entries.set(modelId, { version, chainDigest, factor });
    this.bytes += bytesOf(factor);
    for (const [oldest, e] of this.entries) {
      if (this.entries.size <= this.maxModels && this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= bytesOf(e.factor);
    }
  }

  delete(modelId: string): void {
    const e = this.entries.get(modelId);
    if (!e) return;
    this.entries.delete(modelId);
    this.bytes -= bytesOf(e.factor);
  }

  /** How many models have an entry (tests). */
  get size(): number {
    return this.entries.size;
  }
}
