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
 * `maxModels` models, least recently used dropped first. Entries are shared, never mutated: the
 * engine's downdate copies the factor (`downdateSoftmaxHessianFactor`).
 */
export class KeptFactorCache {
  private readonly entries = new Map<
    string,
    {
      readonly version: number;
      readonly chainDigest: string;
      readonly factor: SoftmaxHessianFactor;
    }
  >();

  constructor(private readonly maxModels = 4) {}

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
    this.entries.delete(modelId);
    this.entries.set(modelId, { version, chainDigest, factor });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxModels) break;
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
