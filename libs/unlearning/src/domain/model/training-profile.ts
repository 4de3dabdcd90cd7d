/**
 * What Lethe records about how a model was trained; the certificate's assumptions rest on it
 * (‖w*‖ ≤ C holds only because training projected onto the C-ball after every step). Retraining
 * (exact mode, and the hypothetical w~* of the bound) uses the same profile on D_r.
 */
export type HiddenActivationName = 'relu' | 'tanh';

/** Same shapes as the engine's `Architecture` (infrastructure/model/architecture.ts). */
export type ModelArchitecture =
  | {
      readonly kind: 'mlp';
      /** [input, hidden…, classes]. */
      readonly layers: readonly number[];
      readonly activation: HiddenActivationName;
    }
  | { readonly kind: 'logistic-regression'; readonly inputDim: number; readonly classes: number };

export interface TrainingProfile {
  /** Radius of the projection ball ‖w‖₂ ≤ C (global norm over all trainable parameters). */
  readonly C: number;
  /**
   * Training L2 coefficient: objective = mean loss + (l2/2)‖w‖² (PyTorch-style coupled weight
   * decay). Named `l2` (as in the recipe) so that it cannot be confused with the unlearning damping
   * λ (`lambda` in UnlearningConstants and in a certificate's assumptions).
   */
  readonly l2: number;
  readonly loss: 'softmax-cross-entropy';
  /** Adam learning rate. */
  readonly lr: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number | string;
  /** sha256 (hex) of the canonical training-set encoding. */
  readonly dataDigest: string;
  /** ‖∇L(w*, D)‖₂ at the released parameters (training nonconvergence; measured). */
  readonly finalGradNorm: number;
  /** tfjs backend name (tensorflow, wasm, cpu, …) or 'float64-reference'. */
  readonly backend: string;
  readonly architecture: ModelArchitecture;
  /** ‖w*‖₂ at the end of training (must be ≤ C). */
  readonly finalParamNorm?: number;
}

/** Parameter count of an architecture (per layer: in·out kernel + out bias). */
export function parameterCount(arch: ModelArchitecture): number {
  const widths = arch.kind === 'mlp' ? arch.layers : [arch.inputDim, arch.classes];
  let p = 0;
  for (let l = 0; l + 1 < widths.length; l++) p += widths[l]! * widths[l + 1]! + widths[l + 1]!;
  return p;
}
