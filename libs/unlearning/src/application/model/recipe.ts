import type { TrainingProfile } from '../../domain/model/training-profile';

/**
 * How a model is trained (and retrained: the same recipe on D_r). Projected Adam with coupled L2
 * weight decay, as in the paper's code: after every step the global parameter norm is clipped back
 * to ||w||₂ <= C.
 */
export interface TrainingRecipe {
  /** Radius of the parameter norm ball. Paper repo: 20. */
  readonly C: number;
  /** L2 coefficient: objective = mean CE + (l2/2)||w||² (PyTorch Adam weight_decay). Repo: 5e-4. */
  readonly l2: number;
  /** Adam learning rate. Paper appendix: 1e-3 (repo default 0.01). */
  readonly learningRate: number;
  readonly epochs: number;
  /** Minibatch size. Repo: 128. */
  readonly batchSize: number;
  /** Seed of the initialisation and of the minibatch order. */
  readonly seed: number | string;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly adamEpsilon?: number;
}

export const DEFAULT_RECIPE: Omit<TrainingRecipe, 'seed'> = {
  C: 20,
  l2: 5e-4,
  learningRate: 1e-3,
  epochs: 50,
  batchSize: 128,
};

/**
 * What a training (or retraining) run records: the domain's TrainingProfile (C, l2, lr,
 * epochs, batch, seed, data digest, final gradient norm, backend, architecture) plus engine detail.
 * The one profile type: the engine's extends the domain's, so both name the L2 coefficient `l2`.
 */
export interface EngineTrainingProfile extends TrainingProfile {
  readonly recipe: Required<TrainingRecipe>;
  readonly trainSize: number;
  /** L(w, D_train) (L2 included) at the returned parameters. */
  readonly finalLoss: number;
  readonly parameterCount: number;
  readonly steps: number;
  readonly wallTimeMs: number;
}
