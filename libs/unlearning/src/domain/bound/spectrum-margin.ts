import { UnlearningError, UnlearningErrorCodes } from '../errors';

/**
 * The margin by which a k-step Lanczos estimate of the Hessian's extreme eigenvalues must be widened
 * to bound them, with a stated failure probability (docs/adr/0004-certified-bound-and-noise.md).
 *
 * Ritz values are inner estimates (θ_min ≥ λ_min, θ_max ≤ λ_max). Kuczyński & Woźniakowski (1992,
 * SIAM J. Matrix Anal. Appl. 13(4), Thm 4.2) bound, for a PSD p×p matrix B and a start vector drawn
 * uniformly from the sphere, P[θ_max(B) < (1 − η)·λ_max(B)] ≤ 1.648·√p·e^{−(2k−1)√η}.
 * Applied to B = λ_max·I − H (for λ_min) and to B = H − λ_min·I (for λ_max), both PSD, with the same
 * Krylov space as H, and with a = η/(1−η):
 *   θ_min − λ_min ≤ a·(λ_max − θ_min)  and  λ_max − θ_max ≤ a·(θ_max − λ_min).
 * Solving the pair gives θ_min − λ_min ≤ η/(1−2η)·(θ_max − θ_min) (and the same for λ_max), so
 *   λ_min ≥ θ_min − m,  m = η/(1−2η)·(θ_max − θ_min),
 * except with probability ρ = 2·1.648·√p·e^{−(2k−1)√η} (union of the two events), i.e.
 *   √η = ln(2·1.648·√p/ρ)/(2k−1).
 * This needs η < 1/2, which sets a floor on k. The failure probability ρ is added to δ by the engine.
 * When k ≥ p the Krylov space is the whole space and the Ritz values are the extreme eigenvalues
 * (exact arithmetic): η = 0, and only a float32 rounding allowance (`ROUNDING_FACTOR`) remains.
 * Stated, not proven here: the bound is for exact arithmetic (the engine's Lanczos runs in float32
 * with full reorthogonalisation), and for the Hessian the Lanczos ran on.
 */
export interface LanczosMargin {
  /** Relative error η of each extreme Ritz value. */
  readonly eta: number;
  /** m / (θ_max − θ_min) = η/(1 − 2η). */
  readonly factor: number;
  readonly iterations: number;
  readonly dimension: number;
  readonly failureProbability: number;
}

const fail = (message: string, details: Record<string, unknown>): never => {
  throw new UnlearningError(UnlearningErrorCodes.BOUND_INVALID_INPUT, message, details);
};

/** m/(θ_max − θ_min) when k ≥ p: an allowance for float32 rounding, not a probabilistic margin. */
export const ROUNDING_FACTOR = 1e-3;

/** The K-W margin factor for k Lanczos steps on a p-dimensional operator, failure probability ρ. */
export function lanczosMargin(input: {
  readonly iterations: number;
  readonly dimension: number;
  readonly failureProbability: number;
}): LanczosMargin {
  const { iterations: k, dimension: p, failureProbability: rho } = input;
  if (!Number.isInteger(k) || k < 1) fail('Lanczos iterations must be an integer >= 1', { k });
  if (!Number.isInteger(p) || p < 1) fail('dimension must be an integer >= 1', { p });
  if (!(rho > 0 && rho < 1)) fail('failureProbability must be in (0, 1)', { rho });
  if (k >= p) {
    return {
      eta: 0,
      factor: ROUNDING_FACTOR,
      iterations: k,
      dimension: p,
      failureProbability: rho,
    };
  }
  const sqrtEta = Math.max(0, Math.log((2 * 1.648 * Math.sqrt(p)) / rho) / (2 * k - 1));
  const eta = sqrtEta * sqrtEta;
  if (!(eta < 0.5)) {
    fail('too few Lanczos iterations for this failure probability (the margin needs η < 1/2)', {
      k,
      p,
      rho,
      eta,
    });
  }
  return { eta, factor: eta / (1 - 2 * eta), iterations: k, dimension: p, failureProbability: rho };
}

/** λ_min ≥ θ_min − m with m = factor·(θ_max − θ_min), except with probability ρ. */
export function lambdaMinLowerBound(
  ritz: { readonly min: number; readonly max: number },
  margin: LanczosMargin,
): number {
  const spread = Math.max(0, ritz.max - ritz.min);
  return ritz.min - margin.factor * spread;
}
