import type { Seed } from '../../domain/random';
import type { Architecture } from '../model/architecture';
import type { Dataset } from '../model/dataset';
import type { EngineTrainingProfile, TrainingRecipe } from '../model/recipe';
import type { ProgressCallback } from '../progress';

/*
 * The port between the unlearning use cases (application/) and a numeric engine that can train,
 * differentiate and solve with a model given as a flat parameter vector. The TensorFlow.js
 * adapter is infrastructure/engine/tfjs-engine.ts (`createTfjsEngine`).
 */

export interface TrainResult {
  readonly params: Float32Array;
  readonly profile: EngineTrainingProfile;
}

export interface Evaluation {
  readonly n: number;
  /** Fraction of correct argmax predictions (= micro-F1 for single-label data). NaN when n = 0. */
  readonly accuracy: number;
  /** Mean cross-entropy (no L2). NaN when n = 0. */
  readonly loss: number;
}

/**
 * LiSSA settings, named as in the paper (repo names in brackets):
 * S chains [s1], depth s [s2], scale H [scale], Hessian minibatch b [unlearn-bs], damping λ [gamma].
 */
export interface LissaSettings {
  readonly chains: number;
  readonly depth: number;
  readonly scale: number;
  readonly batchSize: number;
  readonly damping: number;
  readonly seed: Seed;
  /**
   * Use the whole dataset's Hessian at every step instead of a sampled minibatch (deterministic:
   * a truncated Neumann series; `batchSize` is then ignored). For small D_r and as a test oracle.
   */
  readonly fullBatch?: boolean;
  /** Check the iterate's norm every this many steps (default 10; the last step is always checked). */
  readonly checkEvery?: number;
  /** Divergence when ||v_j|| > growthLimit·(j+1)·||g|| (a convergent recursion has ||v_j|| <= (j+1)||g||). Default 10. */
  readonly growthLimit?: number;
}

/** The repo's defaults (paper.md §2.2, §4.4). */
export const REPO_LISSA: Omit<LissaSettings, 'seed'> = {
  chains: 10,
  depth: 1000,
  scale: 1000,
  batchSize: 10,
  damping: 0.01,
};

export interface LissaResult {
  /** ≈ (H_{w} + λI)⁻¹ g, averaged over chains. */
  readonly solution: Float32Array;
  readonly hvpCount: number;
  /** ||v_s|| / H per chain. */
  readonly chainNorms: readonly number[];
  /** max over checks of ||v_j|| / ((j+1)||g||); <= 1 for a convergent recursion. */
  readonly maxGrowth: number;
  readonly wallTimeMs: number;
}

/** How (∇²L(w, D_r) + λI)⁻¹ g is computed. The damping λ is given separately. */
export type InverseHvpMethod =
  | {
      readonly kind: 'lissa';
      /** LiSSA settings without the damping; the seed defaults to one derived from the request. */
      readonly settings: Omit<LissaSettings, 'damping' | 'seed'> & { readonly seed?: Seed };
    }
  | { readonly kind: 'exact'; readonly maxParams?: number; readonly allowIndefinite?: boolean }
  | { readonly kind: 'cg'; readonly tolerance?: number; readonly maxIterations?: number };

export interface InverseHvpResult {
  readonly solution: Float32Array;
  readonly method: InverseHvpMethod['kind'];
  /**
   * CG only: the TRUE ||g − A x|| (absolute, one extra HVP after the iterations); the solver error
   * enters the bound as residual/(λ+λ_min).
   */
  readonly residualNorm?: number;
  /** CG only: the recursive residual CG tracked (diagnostic; never used in a bound). */
  readonly recursiveResidualNorm?: number;
  /**
   * exact only: 'cholesky' (the damped Hessian is positive definite) or 'lu' (`allowIndefinite`:
   * not positive definite, no certified bound applies).
   */
  readonly factorization?: 'cholesky' | 'lu';
  readonly iterations?: number;
  readonly lissa?: Omit<LissaResult, 'solution'>;
  readonly wallTimeMs: number;
  readonly backend: string;
}

export interface ConstantsSettings {
  /** Krylov dimension for λ_min/λ_max (default 30). */
  readonly iterations?: number;
  readonly method?: 'lanczos' | 'power';
  /**
   * Use a seeded subsample of D_r of this size for the spectrum (default: all of D_r). The spectrum
   * is then the subsample Hessian's; a certified guarantee says so and lists λ_min/λ_max as assumed.
   */
  readonly hessianSampleSize?: number;
  /** Also estimate λ_max of this many damped Hessians on random minibatches of `batchSize` rows (LiSSA scale check). */
  readonly minibatchSamples?: number;
  readonly batchSize?: number;
  /** Multiplier on the largest minibatch λ_max for the suggested LiSSA scale H (default 2). */
  readonly scaleSafety?: number;
  readonly seed: Seed;
}

export interface MeasuredConstants {
  /** Largest / smallest eigenvalue of the UNDAMPED ∇²L(w, D_r) (L2 term included). */
  readonly lambdaMax: number;
  readonly lambdaMin: number;
  /** Same for the damped H + λI. */
  readonly dampedLambdaMax: number;
  readonly dampedLambdaMin: number;
  readonly damping: number;
  /** ||∇L(w, D_r)||₂ at the point of measurement (L2 included). */
  readonly gradientNorm: number;
  /** ||w||₂. */
  readonly parameterNorm: number;
  /**
   * modelDigest of the parameters the constants were measured at (checked by `unlearn`). PRIVATE,
   * like every measured constant: at request k ≥ 2 it is the digest of the noise-free chain state.
   */
  readonly parameterDigest?: string;
  /** Rows of the remaining set D_r the constants were measured on. */
  readonly retainSize?: number;
  /** max over sampled minibatches of λ_max(∇²L_B + λI), when sampled. */
  readonly minibatchLambdaMax?: number;
  /** Suggested LiSSA scale H = safety · max(minibatch λ_max, λ_max + λ). */
  readonly suggestedScale: number;
  readonly method: 'lanczos' | 'power';
  readonly iterations: number;
  readonly hessianSampleSize: number;
  readonly measured: readonly string[];
  readonly backend: string;
  readonly wallTimeMs: number;
}

export interface TrainRequest {
  readonly arch: Architecture;
  readonly data: Dataset;
  readonly recipe: TrainingRecipe;
  /** Start from these parameters instead of the seeded initialisation. */
  readonly initial?: Float32Array;
  readonly onProgress?: ProgressCallback;
}

export interface ObjectiveSpec {
  readonly arch: Architecture;
  /** L2 coefficient of the objective: mean CE + (l2/2)‖w‖². */
  readonly l2: number;
}

export interface NumericEngine {
  /** Name of the backend doing the work (reported with every result). */
  backend(): string;
  /** Projected Adam with coupled L2 (the recipe), from the seeded initialisation. */
  train(req: TrainRequest): Promise<TrainResult>;
  /** ∇L(w, data) over the whole dataset, L2 included. */
  gradient(
    req: ObjectiveSpec & { readonly params: Float32Array; readonly data: Dataset },
  ): Promise<Float32Array>;
  /** (∇²L(w, data) + damping·I)·v over the whole dataset, L2 included (one exact HVP). */
  hvp(
    req: ObjectiveSpec & {
      readonly params: Float32Array;
      readonly data: Dataset;
      readonly damping: number;
      readonly vector: Float32Array;
    },
  ): Promise<Float32Array>;
  /**
   * (∇²L(w, data) + λI)⁻¹ v with the chosen method; v defaults to ∇L(w, data). Returns v too.
   */
  inverseHvp(
    req: ObjectiveSpec & {
      readonly params: Float32Array;
      readonly data: Dataset;
      readonly damping: number;
      readonly method: InverseHvpMethod;
      readonly vector?: Float32Array;
      readonly onProgress?: ProgressCallback;
    },
  ): Promise<InverseHvpResult & { readonly vector: Float32Array; readonly gradientMs: number }>;
  /** λ_min, λ_max, ‖∇L‖ and the LiSSA scale check at w on D_r. */
  measureConstants(
    req: ObjectiveSpec & {
      readonly params: Float32Array;
      readonly retain: Dataset;
      readonly damping: number;
      readonly settings: ConstantsSettings;
      readonly onProgress?: ProgressCallback;
    },
  ): Promise<MeasuredConstants>;
  /** Accuracy and mean cross-entropy. */
  evaluate(arch: Architecture, params: Float32Array, data: Dataset): Evaluation;
  /** Softmax posteriors, row-major n × classes. */
  posteriors(arch: Architecture, params: Float32Array, data: Dataset): Float32Array;
}
