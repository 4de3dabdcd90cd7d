import { UnlearningError, UnlearningErrorCodes } from '../errors';
import {
  calibrateSigma,
  epsilonForSigma,
  type GaussianMechanism,
  type MechanismPolicy,
} from '../privacy/gaussian-mechanism';

/** The fields of a guarantee (domain/model/guarantee.ts `Guarantee`) this gate reads. */
export interface ConvexGuaranteeView {
  readonly type: string;
  readonly epsilon: number | null;
  readonly delta: number | null;
  readonly sigma: number;
  readonly bound: number | null;
  readonly assumptions: Readonly<Record<string, number | string>>;
  readonly measured: readonly string[];
  readonly checks?: readonly string[];
  readonly solver?: Readonly<Record<string, number | string>>;
}

/**
 * `convex-newton`: certified removal for an L2-regularised multinomial logistic regression
 * (docs/method.md#10-convex-newton-certified-removal-for-a-strongly-convex-model,
 * docs/adr/0011-convex-newton.md).
 *
 * F_r(w) = mean CE over D_r + (λ/2)‖w‖² is λ-strongly convex, so for ANY w
 *
 *   ‖w − w*_r‖ ≤ ‖∇F_r(w)‖ / λ                                   (deterministic)
 *
 * where w*_r is the unique minimiser. The engine releases w + N(0, σ²I) only after the private
 * check ‖∇F_r(w)‖/λ ≤ τ passed; the reference mechanism (retraining from scratch) releases
 * w_ref + N(0, σ²I) with the same check. Both centres lie within τ of w*_r, so ‖w − w_ref‖ ≤ 2τ = Δ,
 * and σ is the Gaussian mechanism's σ for Δ at the target (ε, δ). Δ and σ are functions of the
 * settings (τ, ε, δ) only: no measured value enters them.
 */

/** The settings of a convex-newton release: everything the public guarantee is built from. */
export interface ConvexCertification {
  readonly epsilon: number;
  /** δ of the release (the only probabilistic step is the Gaussian mechanism itself). */
  readonly delta: number;
  /** τ: the certified distance of the released centre to w*_r (the check ‖∇F_r(w)‖/λ ≤ τ). */
  readonly tolerance: number;
  readonly mechanism?: MechanismPolicy;
}

export interface ConvexCalibration {
  /** Δ = 2τ. */
  readonly bound: number;
  readonly sigma: number;
  readonly mechanism: GaussianMechanism;
}

const fail = (
  code: 'PRIVACY_INVALID_PARAMS' | 'BOUND_INVALID_INPUT',
  message: string,
  details: Record<string, unknown> = {},
): never => {
  throw new UnlearningError(UnlearningErrorCodes[code], message, details);
};

const positive = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;

/** Δ = 2τ and σ for the target (ε, δ): settings only, computed before any data is touched. */
export function calibrateConvexNewton(c: ConvexCertification, lambda: number): ConvexCalibration {
  if (!positive(c.tolerance)) fail('BOUND_INVALID_INPUT', 'tolerance τ must be > 0', { ...c });
  if (!positive(lambda))
    fail('BOUND_INVALID_INPUT', 'the L2 coefficient λ must be > 0 (strong convexity)', { lambda });
  const bound = 2 * c.tolerance;
  const cal = calibrateSigma({
    epsilon: c.epsilon,
    delta: c.delta,
    sensitivity: bound,
    ...(c.mechanism ? { mechanism: c.mechanism } : {}),
  });
  return { bound, sigma: cal.sigma, mechanism: cal.mechanism };
}

/**
 * A rigorous allowance for the float64 rounding of ‖∇F_r(w)‖ (n-term sums of |x̃ᵢ·rⱼ| ≤ 2·max|x̃|,
 * plus exp/log): 8·n·2⁻⁵³·(1 + max|x|)·√p. Negligible against λτ in practice (≈ 1e-9 for MNIST).
 */
export const float64GradientAllowance = (n: number, p: number, maxAbsFeature: number): number =>
  8 * n * 2 ** -53 * (1 + maxAbsFeature) * Math.sqrt(p);

/** PRIVATE values behind a convex-newton release's one check. Never published. */
export interface ConvexChecks {
  /** ‖∇F_r(w)‖₂ at the released centre w, in float64. */
  readonly gradientNorm: number;
  /** The float64 rounding allowance added to it. */
  readonly allowance: number;
}

export const CONVEX_CHECK_NAMES = ['gradient-residual'] as const;

/** true when (‖∇F_r(w)‖ + allowance)/λ ≤ τ: the centre is certified within τ of w*_r. */
export const convexCheckPasses = (c: ConvexChecks, lambda: number, tolerance: number): boolean =>
  (c.gradientNorm + c.allowance) / lambda <= tolerance;

/** The recorded number `name` of a guarantee's assumptions. */
const num = (g: ConvexGuaranteeView, name: string): number => {
  const v = g.assumptions[name];
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail('PRIVACY_INVALID_PARAMS', 'a convex-newton guarantee records this constant', { name });
  return v as number;
};

/**
 * The honesty gate for a `convex-newton` guarantee (called by `assertHonestGuarantee`): certified,
 * finite ε > 0, δ ∈ (0, 1), λ > 0, τ > 0, Δ ≥ 2τ, a linear model (no hidden layer), σ supporting
 * the claimed ε at the recorded mechanism δ ≤ δ, nothing measured, the check listed, a solver record
 * ('exact' or 'cg'). With `checks` (inside the engine) it re-runs the private check.
 */
export function assertHonestConvexGuarantee(g: ConvexGuaranteeView, checks?: ConvexChecks): void {
  const bad = (message: string, details: Record<string, unknown> = {}): never =>
    fail('PRIVACY_INVALID_PARAMS', message, details);
  if (g.type !== 'certified') bad('a convex-newton release is certified', { type: g.type });
  const { epsilon, delta, sigma, bound } = g;
  if (epsilon === null || !positive(epsilon)) bad('certified needs a finite epsilon > 0');
  if (delta === null || !(delta > 0 && delta < 1)) bad('certified needs delta in (0, 1)');
  if (!positive(sigma)) bad('certified needs sigma > 0', { sigma });
  if (g.measured.length > 0) bad('a guarantee publishes no measured value');
  const lambda = num(g, 'lambda');
  const tau = num(g, 'tau');
  if (!(lambda > 0 && tau > 0)) bad('convex-newton needs lambda > 0 and tau > 0');
  if (bound === null || !positive(bound) || bound < 2 * tau * (1 - 1e-12))
    bad('convex-newton needs bound >= 2·tau', { bound, tau });
  if (g.assumptions['activation'] !== 'linear')
    bad('convex-newton certifies a linear (softmax regression) model only', {
      activation: g.assumptions['activation'],
    });
  const mechanismDelta = num(g, 'mechanismDelta');
  if (!(mechanismDelta > 0 && mechanismDelta <= (delta as number) * (1 + 1e-12)))
    bad('mechanismDelta must be in (0, delta]', { mechanismDelta, delta });
  const supported = epsilonForSigma({
    sigma,
    delta: mechanismDelta,
    sensitivity: bound as number,
    mechanism: 'analytic',
  }).epsilon;
  if ((epsilon as number) < supported * (1 - 1e-9))
    bad('claimed epsilon is smaller than what sigma supports for this bound', {
      epsilon,
      supportedEpsilon: supported,
    });
  const kind = g.solver?.['kind'];
  if (kind !== 'exact' && kind !== 'cg')
    bad('a convex-newton guarantee records its solver (exact or cg)', { kind });
  if (!(g.checks ?? []).includes('gradient-residual'))
    bad('a convex-newton guarantee lists its private check');
  if (checks !== undefined && !convexCheckPasses(checks, lambda, tau))
    bad('the private gradient-residual check failed');
}
