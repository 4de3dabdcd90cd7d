import { UnlearningError, UnlearningErrorCodes } from '../errors';

/**
 * Certified bound Δ ≥ ‖w~ − w~*‖₂ between the unlearned estimate w~ (one damped Newton step from the
 * start point, the inverse-HVP solved by any solver) and the model w~* retrained on D_r (paper
 * Theorem 3.4 and Prop. 4.1/4.2; docs/adr/0004-certified-bound-and-noise.md).
 *
 * Δ is a function of SETTINGS and STATED ASSUMPTIONS only, never of a measured value: σ is
 * calibrated to Δ, and a σ computed from the private start point or data would both void the
 * Gaussian mechanism's premise and fingerprint the private chain (ADR 0004). What is measured
 * becomes a private pass/fail check on the assumptions (application/unlearn.ts), never a number in Δ.
 *
 * Conventions:
 * - H = ∇²L(start, D_r), the UNDAMPED Hessian of the mean loss on D_r at the start point, L2 term
 *   included. `lambdaMin` is an ASSUMED floor on its smallest eigenvalue (checked privately against
 *   a Lanczos estimate widened by a derived margin); λ + λ_min must be > 0.
 * - D = `diameter` bounds ‖start − w~*‖: both lie in the C-ball (projected training, projected
 *   steps; ‖start‖ ≤ C is a private check), so D = 2C up to a float32 slack.
 *
 * Terms:
 * - newton          = ((M/2)·D² + λ·D)/(λ+λ_min)          [= 2C(MC+λ)/(λ+λ_min) for D = 2C; Thm 3.4]
 * - nonconvergence  = G/(λ+λ_min)                          [Prop 4.1: ‖∇L(w~*, D_r)‖ ≤ G]
 *                   + (n/(n−n_u))·G/(λ+λ_min)              [converged form only: the n_u/(n−n_u)
 *                     identity needs ∇L(start, D) = 0; G also bounds ‖∇L(start, D)‖ (checked)]
 * - solver          = τ, the solver tolerance: the a-posteriori residual certificate
 *                     ‖x − (H+λI)⁻¹g‖ ≤ ‖(H+λI)x − g‖/(λ+λ_min) (deterministic, valid for ANY x:
 *                     LiSSA, CG or a dense solve), checked privately to be ≤ τ. It replaces the
 *                     probabilistic LiSSA concentration term, whose failure probability ρ was not in δ.
 */
export type BoundForm = 'nonconvergence' | 'converged';

export interface CertifiedBoundInputs {
  /** Radius of the parameter norm ball ‖w‖₂ ≤ C enforced during training and retraining. */
  readonly C: number;
  /** Damping λ of the local convex approximation (H + λI). */
  readonly lambda: number;
  /** Hessian-Lipschitz constant of L(·, D_r) on the ball. Always an assumption; must be > 0. */
  readonly M: number;
  /** Assumed floor on the smallest eigenvalue of the undamped H (may be negative); λ + λ_min > 0. */
  readonly lambdaMin: number;
  /** Assumed bound on ‖∇L(w~*, D_r)‖ at the retrained model (and on ‖∇L(start, D)‖, converged form). */
  readonly G: number;
  /** |D| before this request, and |D_u| removed by it. */
  readonly n: number;
  readonly nU: number;
  readonly form: BoundForm;
  /** τ ≥ 0: the solver's error ‖x − (H+λI)⁻¹g‖ is certified (privately) to be at most this. */
  readonly solverTolerance: number;
  /** Bound on ‖start − w~*‖; default 2C. Must be ≥ 2C. */
  readonly diameter?: number;
}

export interface CertifiedBoundTerms {
  readonly newton: number;
  readonly nonconvergence: number;
  readonly solver: number;
}

export interface CertifiedBound {
  readonly bound: number;
  readonly terms: CertifiedBoundTerms;
  /** Symbolic formula followed by the substituted values. */
  readonly formula: string;
  /** Statements every certificate built on this bound must list. */
  readonly assumptions: readonly string[];
  /** The constants used, for the certificate (all settings or stated assumptions). */
  readonly constants: Readonly<{
    C: number;
    lambda: number;
    M: number;
    lambdaMin: number;
    G: number;
    diameter: number;
    n: number;
    nU: number;
    form: BoundForm;
    solverTolerance: number;
  }>;
}

const CODE = UnlearningErrorCodes.BOUND_INVALID_INPUT;

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new UnlearningError(CODE, message, details);
}

function finite(name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x))
    fail(`${name} must be a finite number`, { [name]: x });
  return x;
}
function positive(name: string, x: unknown): number {
  const v = finite(name, x);
  if (!(v > 0)) fail(`${name} must be > 0`, { [name]: v });
  return v;
}
function nonNegative(name: string, x: unknown): number {
  const v = finite(name, x);
  if (!(v >= 0)) fail(`${name} must be >= 0`, { [name]: v });
  return v;
}
function positiveInt(name: string, x: unknown): number {
  const v = finite(name, x);
  if (!Number.isInteger(v) || v < 1) fail(`${name} must be an integer >= 1`, { [name]: v });
  return v;
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6));

/** The three terms of Δ; shared by `certifiedBound` and the honesty gate's recomputation. */
export function boundTerms(c: {
  readonly lambda: number;
  readonly M: number;
  readonly lambdaMin: number;
  readonly G: number;
  readonly n: number;
  readonly nU: number;
  readonly form: BoundForm;
  readonly solverTolerance: number;
  readonly diameter: number;
}): CertifiedBoundTerms {
  const mu = c.lambda + c.lambdaMin;
  const D = c.diameter;
  const newton = ((c.M / 2) * D * D + c.lambda * D) / mu;
  const converged = c.form === 'converged' ? ((c.n / (c.n - c.nU)) * c.G) / mu : 0;
  return { newton, nonconvergence: c.G / mu + converged, solver: c.solverTolerance };
}

export function certifiedBound(inputs: CertifiedBoundInputs): CertifiedBound {
  if (inputs === null || typeof inputs !== 'object') fail('inputs must be an object');
  const C = positive('C', inputs.C);
  const lambda = nonNegative('lambda', inputs.lambda);
  // M = 0 would claim a quadratic loss; no network (and no theorem here) has it.
  const M = positive('M', inputs.M);
  const lambdaMin = finite('lambdaMin', inputs.lambdaMin);
  const G = nonNegative('G', inputs.G);
  const n = positiveInt('n', inputs.n);
  const nU = positiveInt('nU', inputs.nU);
  const solverTolerance = nonNegative('solverTolerance', inputs.solverTolerance);
  const form = inputs.form;
  if (form !== 'nonconvergence' && form !== 'converged')
    fail('form must be nonconvergence|converged', { form });
  if (nU >= n) fail('nU must be < n (D_r must not be empty)', { n, nU });
  const mu = lambda + lambdaMin;
  if (!(mu > 0)) {
    fail('lambda + lambdaMin must be > 0 (damped Hessian positive definite)', {
      lambda,
      lambdaMin,
    });
  }
  const diameter = inputs.diameter === undefined ? 2 * C : finite('diameter', inputs.diameter);
  if (diameter < 2 * C) fail('diameter must be >= 2C', { diameter, C });

  const terms = boundTerms({ lambda, M, lambdaMin, G, n, nU, form, solverTolerance, diameter });
  const bound = terms.newton + terms.nonconvergence + terms.solver;
  const assumptions: string[] = [
    'Hessian of L(·, D_r) is M-Lipschitz on the C-ball (M assumed, not measured; needs a smooth activation)',
    'lambdaMin is an assumed floor on the smallest eigenvalue of the undamped Hessian of L(·, D_r) at the start point (checked privately)',
    'retrained reference w~* lies in the C-ball (retraining uses the same projected recipe)',
    'start point of the Newton step lies in the C-ball (checked privately)',
    G === 0
      ? 'retrained model w~* is a stationary point of L(·, D_r) (G = 0)'
      : 'G bounds ‖∇L(w~*, D_r)‖ at the retrained model (Prop 4.1; assumed, a proxy checked privately)',
    ...(form === 'converged'
      ? ['converged form: G also bounds ‖∇L(start, D)‖ (checked privately)']
      : []),
    `solver error ‖x − (H+λI)⁻¹g‖ ≤ ‖(H+λI)x − g‖/(λ+λ_min) ≤ τ = ${fmt(solverTolerance)} (residual certificate, one full-data HVP; checked privately)`,
  ];
  const gTerm = form === 'converged' ? ' + (n/(n−n_u))·G/(λ+λ_min)' : '';
  const formula =
    `Δ = ((M/2)·D² + λ·D)/(λ+λ_min) + G/(λ+λ_min)${gTerm} + τ` +
    ` with D = ${fmt(diameter)}, C = ${fmt(C)}, M = ${fmt(M)}, λ = ${fmt(lambda)}, ` +
    `λ_min = ${fmt(lambdaMin)}, G = ${fmt(G)}, τ = ${fmt(solverTolerance)}` +
    ` → ${fmt(terms.newton)} + ${fmt(terms.nonconvergence)} + ${fmt(terms.solver)} = ${fmt(bound)}`;
  return {
    bound,
    terms,
    formula,
    assumptions,
    constants: { C, lambda, M, lambdaMin, G, diameter, n, nU, form, solverTolerance },
  };
}
