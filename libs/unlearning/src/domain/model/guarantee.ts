import { UnlearningError, UnlearningErrorCodes } from '../errors';
import { epsilonForSigma, type GaussianMechanism } from '../privacy/gaussian-mechanism';

/**
 * The certificate's `guarantee` block (DESIGN.md §3.3), plus `settings`/`statements` (additive
 * keys) so that a reader sees every number and every statement the claim rests on. Same shape as
 * the engine's ReleaseGuarantee (application/guarantee.ts).
 */
export type GuaranteeType = 'certified' | 'exact' | 'none';

export interface Guarantee {
  readonly type: GuaranteeType;
  /** (ε, δ) claimed: numbers for certified, 0 for exact, null for none. */
  readonly epsilon: number | null;
  readonly delta: number | null;
  /** σ of the release noise (0 for exact). */
  readonly sigma: number;
  /** Δ ≥ ‖w~ − w~*‖₂ the noise is calibrated to (0 for exact, null when not computed). */
  readonly bound: number | null;
  readonly mechanism?: GaussianMechanism;
  readonly boundTerms?: Readonly<Record<string, number>>;
  readonly formula?: string;
  /** Constants used: C, lambda, M, lambdaMin, lambdaMax, G, rho, … */
  readonly assumptions: Readonly<Record<string, number | string>>;
  readonly measured: readonly string[];
  readonly assumed: readonly string[];
  readonly settings?: readonly string[];
  /** Statements the claim rests on (from certifiedBound().assumptions and the engine). */
  readonly statements?: readonly string[];
}

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.PRIVACY_INVALID_PARAMS, message, details);
};

/**
 * Honesty check before signing: throws PRIVACY_INVALID_PARAMS when the guarantee claims more than
 * its numbers support.
 * - certified: finite ε > 0, δ ∈ (0, 1), σ > 0, bound > 0, and the (ε, δ) claimed must be
 *   achievable with this σ for this bound (ε ≥ the ε that σ implies, analytic = exact); M listed
 *   as assumed; measured/assumed disjoint and all present in `assumptions`.
 *   The bound itself is not trusted: a lower bound is recomputed from the recorded constants
 *   (Theorem 3.4's newton term with D = `diameter` or 2C, G/(λ+λ_min), the converged-form term when
 *   `fullGradNorm`, n, nU are recorded, the LiSSA concentration term when p, ρ, its form and ‖g‖
 *   are recorded) and `bound` must be at least that (terms whose inputs are not recorded, such as
 *   the LiSSA truncation bias or a solver residual, can only add to it).
 * - exact: ε = δ = 0, σ = 0, bound = 0.
 * - none: ε = δ = null (a fixed-σ release claims nothing).
 */
export function assertHonestGuarantee(g: Guarantee): void {
  const measured = new Set(g.measured);
  for (const name of g.assumed)
    if (measured.has(name)) fail('constant both measured and assumed', { name });
  for (const name of [...g.measured, ...g.assumed]) {
    if (!(name in g.assumptions))
      fail('measured/assumed names a constant missing from assumptions', { name });
  }
  if (g.type === 'exact') {
    if (g.epsilon !== 0 || g.delta !== 0) fail('an exact guarantee has epsilon = delta = 0');
    if (g.sigma !== 0 || g.bound !== 0) fail('an exact guarantee has sigma = bound = 0');
    return;
  }
  if (g.type === 'none') {
    if (g.epsilon !== null || g.delta !== null)
      fail('a "none" guarantee must not state (epsilon, delta)');
    return;
  }
  if (g.type !== 'certified') fail('unknown guarantee type', { type: g.type });
  const { epsilon, delta, sigma, bound } = g;
  if (epsilon === null || !Number.isFinite(epsilon) || !(epsilon > 0))
    fail('certified needs a finite epsilon > 0', { epsilon });
  if (delta === null || !(delta > 0 && delta < 1))
    fail('certified needs delta in (0, 1)', { delta });
  if (!(sigma > 0) || !Number.isFinite(sigma)) fail('certified needs sigma > 0', { sigma });
  if (bound === null || !(bound > 0) || !Number.isFinite(bound))
    fail('certified needs a finite bound > 0', { bound });
  if (!g.assumed.includes('M')) fail('a certified guarantee must list M as assumed');
  const recomputed = recomputeBoundFloor(g.assumptions);
  if (!(bound! >= recomputed * (1 - 1e-12))) {
    fail('bound is smaller than the bound recomputed from the recorded constants', {
      bound,
      recomputed,
    });
  }
  const supported = epsilonForSigma({
    sigma,
    delta: delta!,
    sensitivity: bound!,
    mechanism: 'analytic',
  }).epsilon;
  if (epsilon! < supported * (1 - 1e-9)) {
    fail('claimed epsilon is smaller than what sigma supports for this bound', {
      epsilon,
      supportedEpsilon: supported,
    });
  }
}

/** The part of Δ that the recorded constants determine (a lower bound on the full Δ). */
function recomputeBoundFloor(a: Guarantee['assumptions']): number {
  const num = (name: string, required: boolean): number | undefined => {
    const v = a[name];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail('a certified guarantee must record this constant as a finite number', { name });
    return v as number;
  };
  const C = num('C', true)!;
  const lambda = num('lambda', true)!;
  const M = num('M', true)!;
  const lambdaMin = num('lambdaMin', true)!;
  const G = num('G', true)!;
  const mu = lambda + lambdaMin;
  if (!(mu > 0)) fail('lambda + lambdaMin must be > 0 in a certified guarantee', { mu });
  const D = Math.max(num('diameter', false) ?? 2 * C, 2 * C);
  let floor = ((M / 2) * D * D + lambda * D) / mu + G / mu;
  const full = num('fullGradNorm', false);
  const n = num('n', false);
  const nU = num('nU', false);
  if (full !== undefined && n !== undefined && nU !== undefined && n > nU)
    floor += ((n / (n - nU)) * full) / mu;
  const p = num('p', false);
  const rho = num('rho', false);
  const gNorm = num('gradNormForLissa', false);
  const form = a['lissaErrorForm'];
  if (p !== undefined && rho !== undefined && gNorm !== undefined && rho > 0 && rho < 1) {
    const x = form === 'sqrt-log-p-over-rho' ? Math.log(p / rho) : p / rho;
    if (form === 'sqrt-p-over-rho' || form === 'sqrt-log-p-over-rho')
      floor += ((16 * Math.sqrt(x)) / mu + 1 / 16) * gNorm;
  }
  return floor;
}
