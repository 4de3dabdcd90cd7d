/**
 * How a model's deletion requests are served (docs/method.md §6):
 * - certified: damped Newton step + LiSSA, Gaussian noise calibrated to the certified bound;
 *   certificate `guarantee.type = 'certified'` with (ε, δ).
 * - exact: retrain from scratch on D_r with the same recipe; `guarantee.type = 'exact'`, ε = δ = 0.
 * - paper-experiment: the paper's code path with a fixed σ (repo default 1e-3) to reproduce its
 *   numbers; `guarantee.type = 'none'` (the worst-case bound would imply a meaningless ε).
 */
export type UnlearningMode = 'certified' | 'exact' | 'paper-experiment';

export const UNLEARNING_MODES: readonly UnlearningMode[] = [
  'certified',
  'exact',
  'paper-experiment',
];

export const isUnlearningMode = (x: unknown): x is UnlearningMode =>
  typeof x === 'string' && (UNLEARNING_MODES as readonly string[]).includes(x);
