import { UnlearningError, UnlearningErrorCodes } from '../errors';
import { boundTerms, type BoundForm } from '../bound/certified-bound';
import { lambdaMinLowerBound, lanczosMargin, type LanczosMargin } from '../bound/spectrum-margin';
import { epsilonForSigma, type GaussianMechanism } from '../privacy/gaussian-mechanism';
import { assertHonestConvexGuarantee } from '../convex/convex-certificate';

/**
 * The certificate's `guarantee` block, plus `settings`/`statements`/`checks`
 * (additive keys) so that a reader sees every number and every statement the claim rests on.
 * Same shape as the engine's ReleaseGuarantee (application/guarantee.ts).
 *
 * Everything in it is PUBLIC and is a function of settings and stated assumptions only
 * (docs/adr/0004-certified-bound-and-noise.md): no measured value of the start point, the data or
 * the noise-free chain. What was measured is listed by name in `checks` (private pass/fail checks
 * the release passed); their values stay in the worker's private store.
 */
export type GuaranteeType = 'certified' | 'exact' | 'none';

/** Activations whose networks have a finite Hessian-Lipschitz constant M ('linear': no hidden layer). */
export const SMOOTH_ACTIVATIONS: readonly string[] = ['tanh', 'linear'];

export interface Guarantee {
  readonly type: GuaranteeType;
  /** (ε, δ) claimed: numbers for certified, 0 for exact, null for none. δ includes every failure probability. */
  readonly epsilon: number | null;
  readonly delta: number | null;
  /** σ of the release noise (0 for exact). */
  readonly sigma: number;
  /** Δ ≥ ‖w~ − w~*‖₂ the noise is calibrated to (0 for exact, null when not computed). */
  readonly bound: number | null;
  readonly mechanism?: GaussianMechanism;
  readonly boundTerms?: Readonly<Record<string, number>>;
  readonly formula?: string;
  /** Constants used: C, lambda, M, lambdaMin, G, solverTolerance, … (settings and assumptions). */
  readonly assumptions: Readonly<Record<string, number | string>>;
  /** Names of published constants that were measured: always empty since the 2026-11 audit. */
  readonly measured: readonly string[];
  readonly assumed: readonly string[];
  readonly settings?: readonly string[];
  /** Statements the claim rests on (from certifiedBound().assumptions and the engine). */
  readonly statements?: readonly string[];
  /** Names of the private pass/fail checks the release passed (values are never published). */
  readonly checks?: readonly string[];
  /** How the update was computed, and the solver's settings (certified and none). */
  readonly method?: 'newton-lissa' | 'newton-cg' | 'newton-exact' | 'convex-newton' | 'retrain';
  readonly solver?: Readonly<Record<string, number | string>>;
}

/**
 * PRIVATE measured values behind a certified release's checks. They are functions of the
 * noise-free start point and the data: they stay in the worker, and only the names of the checks
 * they passed are published.
 */
export interface CertificationChecks {
  /** Raw Lanczos Ritz values of ∇²L(start, D_r) (or of its subsample Hessian). */
  readonly ritz: { readonly min: number; readonly max: number };
  /** ‖start‖₂. */
  readonly startNorm: number;
  /** max(‖∇L(start, D_r)‖, ‖∇L(w*, D)‖ at training end, converged form: ‖∇L(start, D)‖). */
  readonly gradientProxy: number;
  /** ‖(H + λI)x − g‖ with one full-data HVP on D_r (the residual certificate). */
  readonly residualNorm: number;
}

/** Relative slack on ‖start‖ ≤ C for float32 rounding of a projected vector (D = (2 + slack)·C). */
export const START_NORM_SLACK = 1e-6;

export const CHECK_NAMES = ['spectrum', 'start-in-ball', 'gradient-proxy', 'residual'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.PRIVACY_INVALID_PARAMS, message, details);
};

const num = (a: Guarantee['assumptions'], name: string): number => {
  const v = a[name];
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail('a certified guarantee must record this constant as a finite number', { name });
  return v as number;
};

/**
 * The private checks of a certified release, against its public assumptions: returns the names of
 * the checks that FAIL (empty: all passed). The values are private; only pass/fail leaves.
 * - spectrum: λ_min (assumed) ≤ θ_min − m, m from the Lanczos margin for the recorded k, p, ρ;
 * - start-in-ball: ‖start‖ ≤ C·(1 + slack), so D = (2 + slack)·C bounds ‖start − w~*‖;
 * - gradient-proxy: the measured gradient norms ≤ G;
 * - residual: ‖(H+λI)x − g‖/(λ + λ_min) ≤ τ.
 */
export function failedCertificationChecks(
  assumptions: Guarantee['assumptions'],
  c: CertificationChecks,
): CheckName[] {
  const failed: CheckName[] = [];
  const margin = recordedMargin(assumptions);
  const lambdaMin = num(assumptions, 'lambdaMin');
  const lambda = num(assumptions, 'lambda');
  if (!(lambdaMin <= lambdaMinLowerBound(c.ritz, margin))) failed.push('spectrum');
  if (!(c.startNorm <= num(assumptions, 'C') * (1 + START_NORM_SLACK)))
    failed.push('start-in-ball');
  if (!(c.gradientProxy <= num(assumptions, 'G'))) failed.push('gradient-proxy');
  if (!(c.residualNorm / (lambda + lambdaMin) <= num(assumptions, 'solverTolerance')))
    failed.push('residual');
  return failed;
}

/** The Lanczos margin for the recorded k, p, ρ (PRIVACY_INVALID_PARAMS if none exists). */
function recordedMargin(a: Guarantee['assumptions']): LanczosMargin {
  const input = {
    iterations: num(a, 'lanczosIterations'),
    dimension: num(a, 'p'),
    failureProbability: num(a, 'spectrumFailureProbability'),
  };
  try {
    return lanczosMargin(input);
  } catch (e) {
    return fail('no Lanczos margin exists for the recorded k, p and rho', {
      ...input,
      cause: (e as Error).message,
    });
  }
}

const SOLVER_KIND: Record<string, string> = {
  'newton-lissa': 'lissa',
  'newton-cg': 'cg',
  'newton-exact': 'exact',
};

/**
 * Honesty gate before a release leaves the engine and before signing: throws
 * PRIVACY_INVALID_PARAMS when the guarantee claims more than its numbers support.
 * - every type: measured/assumed disjoint and present in `assumptions`; nothing measured is
 *   published (`measured` must be empty).
 * - certified: finite ε > 0, δ ∈ (0, 1), σ > 0, bound > 0; M > 0 and listed as assumed; a smooth
 *   activation (no finite M for ReLU); the method and its solver record (a LiSSA guarantee without
 *   its LiSSA settings is refused); the bound recomputed from the recorded constants (newton + G
 *   (+ converged) + τ) must not exceed `bound`; the Lanczos margin factor at least the one derived
 *   for the recorded k, p, ρ; δ = mechanism δ + spectrum failure probability ρ; ε at least what σ
 *   supports at the mechanism δ. With `checks` (inside the engine), the private checks are re-run
 *   against the public assumptions (λ_min ≤ θ_min − m, ‖start‖ ≤ C, proxies ≤ G, residual ≤ τ).
 * - exact: ε = δ = 0, σ = 0, bound = 0.
 * - none: ε = δ = null (a fixed-σ release claims nothing).
 */
export function assertHonestGuarantee(g: Guarantee, checks?: CertificationChecks): void {
  const measured = new Set(g.measured);
  for (const name of g.assumed)
    if (measured.has(name)) fail('constant both measured and assumed', { name });
  for (const name of [...g.measured, ...g.assumed]) {
    if (!(name in g.assumptions))
      fail('measured/assumed names a constant missing from assumptions', { name });
  }
  if (g.measured.length > 0) {
    fail('a guarantee publishes no measured value (measured values are private checks)', {
      measured: [...g.measured],
    });
  }
  if (g.type === 'exact') {
    if (g.epsilon !== 0 || g.delta !== 0) fail('an exact guarantee has epsilon = delta = 0');
    // σ > 0 only for a noisy retrain (convex-newton's reference mechanism: solve to τ, add noise);
    // noise added to a retrained model is post-processing and leaves ε = 0 true.
    if (!(g.sigma >= 0 && Number.isFinite(g.sigma)) || g.bound !== 0)
      fail('an exact guarantee has sigma >= 0 and bound = 0');
    return;
  }
  if (g.type === 'none') {
    if (g.epsilon !== null || g.delta !== null)
      fail('a "none" guarantee must not state (epsilon, delta)');
    return;
  }
  if (g.type !== 'certified') fail('unknown guarantee type', { type: g.type });
  if (g.method === 'convex-newton') {
    // Its own bound (Δ = 2τ by strong convexity): docs/adr/0011-convex-newton.md.
    assertHonestConvexGuarantee(g);
    return;
  }
  const { epsilon, delta, sigma, bound } = g;
  if (epsilon === null || !Number.isFinite(epsilon) || !(epsilon > 0))
    fail('certified needs a finite epsilon > 0', { epsilon });
  if (delta === null || !(delta > 0 && delta < 1))
    fail('certified needs delta in (0, 1)', { delta });
  if (!(sigma > 0) || !Number.isFinite(sigma)) fail('certified needs sigma > 0', { sigma });
  if (bound === null || !(bound > 0) || !Number.isFinite(bound))
    fail('certified needs a finite bound > 0', { bound });
  const a = g.assumptions;
  if (!g.assumed.includes('M')) fail('a certified guarantee must list M as assumed');
  if (!(num(a, 'M') > 0)) fail('a certified guarantee needs M > 0 (M = 0 claims a quadratic loss)');
  const activation = a['activation'];
  if (typeof activation !== 'string' || !SMOOTH_ACTIVATIONS.includes(activation)) {
    fail('certified needs a smooth activation (a ReLU network has no finite M)', { activation });
  }
  checkSolverRecord(g);
  const form = a['form'];
  if (form !== 'nonconvergence' && form !== 'converged') fail('unknown update form', { form });
  const C = num(a, 'C');
  const lambda = num(a, 'lambda');
  const lambdaMin = num(a, 'lambdaMin');
  const n = num(a, 'n');
  const nU = num(a, 'nU');
  if (!(lambda + lambdaMin > 0)) fail('lambda + lambdaMin must be > 0 in a certified guarantee');
  if (!(n > nU && nU >= 1)) fail('a certified guarantee needs n > nU >= 1', { n, nU });
  const tau = num(a, 'solverTolerance');
  if (!(tau >= 0)) fail('solverTolerance must be >= 0', { tau });
  const t = boundTerms({
    lambda,
    M: num(a, 'M'),
    lambdaMin,
    G: num(a, 'G'),
    n,
    nU,
    form: form as BoundForm,
    solverTolerance: tau,
    diameter: Math.max(num(a, 'diameter'), 2 * C),
  });
  const recomputed = t.newton + t.nonconvergence + t.solver;
  if (!(bound! >= recomputed * (1 - 1e-12))) {
    fail('bound is smaller than the bound recomputed from the recorded constants', {
      bound,
      recomputed,
    });
  }
  // Every probabilistic step adds its failure probability to δ: here the Lanczos margin.
  const rho = num(a, 'spectrumFailureProbability');
  const mechanismDelta = num(a, 'mechanismDelta');
  if (!(rho > 0 && mechanismDelta > 0 && mechanismDelta + rho <= delta! * (1 + 1e-12))) {
    fail('delta must include the spectrum failure probability: delta >= mechanismDelta + rho', {
      delta,
      mechanismDelta,
      rho,
    });
  }
  const margin = recordedMargin(a);
  if (!(num(a, 'spectrumMarginFactor') >= margin.factor * (1 - 1e-12))) {
    fail('the spectrum margin is smaller than the Lanczos bound needs for this k, p and rho', {
      recorded: a['spectrumMarginFactor'],
      needed: margin.factor,
    });
  }
  const supported = epsilonForSigma({
    sigma,
    delta: mechanismDelta,
    sensitivity: bound!,
    mechanism: 'analytic',
  }).epsilon;
  if (epsilon! < supported * (1 - 1e-9)) {
    fail('claimed epsilon is smaller than what sigma supports for this bound', {
      epsilon,
      supportedEpsilon: supported,
    });
  }
  if (checks !== undefined) {
    const failed = failedCertificationChecks(a, checks);
    if (failed.length > 0) fail('a private certification check failed', { failed });
    for (const name of CHECK_NAMES) {
      if (!(g.checks ?? []).includes(name)) fail('a passed check is not listed', { name });
    }
  }
}

function checkSolverRecord(g: Guarantee): void {
  const kind = g.method === undefined ? undefined : SOLVER_KIND[g.method];
  if (kind === undefined)
    fail('a certified guarantee names its Newton method', { method: g.method });
  const s = g.solver;
  if (s === undefined || s['kind'] !== kind) {
    fail('the solver record does not match the method', { method: g.method, solver: s });
  }
  if (kind === 'lissa') {
    for (const name of ['S', 's', 'H', 'b']) {
      const v = s![name];
      if (typeof v !== 'number' || !(v > 0)) fail('a LiSSA guarantee records S, s, H, b', { name });
    }
  }
}
