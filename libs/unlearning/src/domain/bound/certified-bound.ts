import { UnlearningError, UnlearningErrorCodes } from '../errors';

/**
 * Certified bound Δ ≥ ‖w~ − w~*‖₂ between the unlearned estimate w~ (one damped Newton step from the
 * start point, inverse-HVP by the exact inverse or by LiSSA) and the model w~* retrained on D_r.
 * Sources (research/paper.md): Theorem 3.4 (§3.1), LiSSA term (§3.3, transcription by R2D; the
 * paper's own statement is UNVERIFIED), nonconvergence (§3.4, Prop. 4.1, G term as in R2D's code
 * and re-derived), sequential (§3.5, Prop. 4.2).
 *
 * Conventions (stated on every certificate via `assumptions`):
 * - H_{w*} = ∇²L(w*, D_r), the UNDAMPED Hessian of the mean loss on the remaining set at the start
 *   point of the step (w* for the first request, w~_{k−1} afterwards), including any training L2
 *   term that is part of L but NOT the damping λ. λ_min / λ_max are its extreme eigenvalues;
 *   λ + λ_min is the smallest eigenvalue of the damped H_{w*} + λI and must be > 0.
 * - D is a bound on ‖start − w~*‖₂: 2C when the start point and the retrained model both lie in
 *   the C-ball (projected training; paper §2.2b), C + ‖start‖ when the start point left the ball
 *   (derived generalisation; equals 2C when ‖start‖ ≤ C).
 *
 * Terms:
 * - newton          = ((M/2)·D² + λ·D)/(λ+λ_min)          [= 2C(MC+λ)/(λ+λ_min) for D = 2C; Thm 3.4]
 * - nonconvergence  = G/(λ+λ_min)                          [Prop 4.1: ‖∇L(w~*, D_r)‖ ≤ G]
 *                   + (n/(n−n_u))·‖∇L(w*, D)‖/(λ+λ_min)    [converged form only, derived: the
 *                     n_u/(n−n_u) identity needs ∇L(w*, D) = 0]
 * - lissa           = [16·√X/(λ+λ_min) + 1/16]·‖g‖          [R2D; X = p/ρ (R2D code, default,
 *                     conservative) or ln(p/ρ) (R2D Table 16)], with probability ≥ 1 − ρ
 *                   + (1 − (λ+λ_min)/H)^{s+1}·‖g‖/(λ+λ_min)  [derived: truncation bias of the depth-s
 *                     recursion, zero in the limit s → ∞; included by default]
 *   ‖g‖ = norm of the vector LiSSA is applied to; the measured value if given, else the bound
 *   L·D + G (nonconvergence form), L the gradient-Lipschitz constant; in converged form
 *   g = (n_u/(n−n_u))∇L(w*, D_u) = (n/(n−n_u))∇L(w*, D) − ∇L(w*, D_r), so ‖g‖ ≤ L·D + G +
 *   (n/(n−n_u))·‖∇L(w*, D)‖ (the last part 0 when w* is assumed stationary).
 */
export type BoundForm = 'nonconvergence' | 'converged';

/** Which transcription of the LiSSA concentration factor to use (research/paper.md §3.3). */
export type LissaErrorForm = 'sqrt-p-over-rho' | 'sqrt-log-p-over-rho';

export interface LissaBoundSettings {
  /** Number of independent chains averaged (repo s1). */
  readonly S: number;
  /** Recursion depth (repo s2). */
  readonly s: number;
  /** Scale; must dominate the spectral norm of every damped minibatch Hessian (repo `scale`). */
  readonly H: number;
  /** Hessian minibatch size (repo unlearn-bs). */
  readonly b: number;
  /** Failure probability of the LiSSA concentration bound, in (0, 1). */
  readonly rho: number;
  /** Default `sqrt-p-over-rho` (the larger, so valid under either transcription). */
  readonly errorForm?: LissaErrorForm;
  /** Add the derived truncation-bias term (default true). */
  readonly truncationTerm?: boolean;
}

export interface CertifiedBoundInputs {
  /** Radius of the parameter norm ball ‖w‖₂ ≤ C enforced during training and retraining. */
  readonly C: number;
  /** Damping λ of the local convex approximation (H + λI). */
  readonly lambda: number;
  /** Hessian-Lipschitz constant of L(·, D_r) on the ball. Always an assumption. */
  readonly M: number;
  /** Smallest eigenvalue of the undamped H_{w*} (may be negative); needs λ + λ_min > 0. */
  readonly lambdaMin: number;
  /** Largest eigenvalue of the undamped H_{w*}. */
  readonly lambdaMax: number;
  /** Bound on ‖∇L(w~*, D_r)‖ at the retrained model (0 = assume it is stationary). */
  readonly G: number;
  /** Number of trainable parameters. */
  readonly p: number;
  /** |D| before this request, and |D_u| removed by it. */
  readonly n: number;
  readonly nU: number;
  readonly form: BoundForm;
  /** LiSSA settings; omit for the exact inverse (no LiSSA term). */
  readonly lissa?: LissaBoundSettings;
  /** Gradient-Lipschitz constant; default max(|λ_min|, |λ_max|) (local estimate at w*). */
  readonly L?: number;
  /** Measured norm of the vector LiSSA inverts (tightens the LiSSA term). */
  readonly updateGradNorm?: number;
  /** Converged form: measured ‖∇L(w*, D)‖ on the full pre-request set (0 if w* stationary). */
  readonly fullGradNorm?: number;
  /** Measured ‖start point‖₂ (w* or w~_{k−1}); if omitted it is assumed ≤ C. */
  readonly startNorm?: number;
  /** Request index k ≥ 1 in the model's sequential chain (Prop 4.2; informative only). */
  readonly sequenceIndex?: number;
}

export interface CertifiedBoundTerms {
  readonly newton: number;
  readonly lissa: number;
  readonly nonconvergence: number;
}

export interface CertifiedBound {
  readonly bound: number;
  readonly terms: CertifiedBoundTerms;
  /** Symbolic formula followed by the substituted values. */
  readonly formula: string;
  /** Statements every certificate built on this bound must list. */
  readonly assumptions: readonly string[];
  /** The constants actually used (L and D resolved), for the certificate. */
  readonly constants: Readonly<{
    C: number;
    lambda: number;
    M: number;
    lambdaMin: number;
    lambdaMax: number;
    G: number;
    L: number;
    diameter: number;
    p: number;
    n: number;
    nU: number;
    gradNormForLissa?: number;
    rho?: number;
    lissaErrorForm?: LissaErrorForm;
  }>;
  readonly lissaDetail?: Readonly<{ factor: number; concentration: number; truncation: number }>;
  /** Whether L entered the bound (only through the default ‖g‖ of the LiSSA term). */
  readonly usesL: boolean;
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

export function certifiedBound(inputs: CertifiedBoundInputs): CertifiedBound {
  if (inputs === null || typeof inputs !== 'object') fail('inputs must be an object');
  const C = positive('C', inputs.C);
  const lambda = nonNegative('lambda', inputs.lambda);
  const M = nonNegative('M', inputs.M);
  const lambdaMin = finite('lambdaMin', inputs.lambdaMin);
  const lambdaMax = finite('lambdaMax', inputs.lambdaMax);
  const G = nonNegative('G', inputs.G);
  const p = positiveInt('p', inputs.p);
  const n = positiveInt('n', inputs.n);
  const nU = positiveInt('nU', inputs.nU);
  const form = inputs.form;
  if (form !== 'nonconvergence' && form !== 'converged')
    fail('form must be nonconvergence|converged', { form });
  if (nU >= n) fail('nU must be < n (D_r must not be empty)', { n, nU });
  if (lambdaMin > lambdaMax) fail('lambdaMin must be <= lambdaMax', { lambdaMin, lambdaMax });
  const mu = lambda + lambdaMin;
  if (!(mu > 0)) {
    fail('lambda + lambdaMin must be > 0 (damped Hessian positive definite)', {
      lambda,
      lambdaMin,
    });
  }
  const L =
    inputs.L === undefined
      ? Math.max(Math.abs(lambdaMin), Math.abs(lambdaMax))
      : nonNegative('L', inputs.L);
  const startNorm =
    inputs.startNorm === undefined ? undefined : nonNegative('startNorm', inputs.startNorm);
  const fullGradNorm =
    inputs.fullGradNorm === undefined
      ? undefined
      : nonNegative('fullGradNorm', inputs.fullGradNorm);
  const updateGradNorm =
    inputs.updateGradNorm === undefined
      ? undefined
      : nonNegative('updateGradNorm', inputs.updateGradNorm);
  if (inputs.sequenceIndex !== undefined) positiveInt('sequenceIndex', inputs.sequenceIndex);

  const assumptions: string[] = [
    'Hessian of L(·, D_r) is M-Lipschitz on the C-ball (M assumed, not measured)',
    'lambdaMin/lambdaMax are eigenvalues of the undamped Hessian of L(·, D_r) at the start point of this step',
    'retrained reference w~* lies in the C-ball (retraining uses the same projected recipe)',
  ];

  // Diameter bound D ≥ ‖start − w~*‖.
  const D = startNorm === undefined ? 2 * C : C + Math.max(C, startNorm);
  if (startNorm === undefined)
    assumptions.push('start point of the Newton step lies in the C-ball (not measured)');
  else if (startNorm > C) {
    assumptions.push(
      `start point left the C-ball (‖start‖ = ${fmt(startNorm)} > C): diameter C + ‖start‖ used (derived)`,
    );
  }

  const newton = ((M / 2) * D * D + lambda * D) / mu;

  let nonconvergence = G / mu;
  if (G === 0) assumptions.push('retrained model w~* is a stationary point of L(·, D_r) (G = 0)');
  else assumptions.push('G bounds ‖∇L(w~*, D_r)‖ at the retrained model (Prop 4.1)');
  if (form === 'converged') {
    if (fullGradNorm === undefined) {
      assumptions.push(
        'converged form: w* is a stationary point of L(·, D) (∇L(w*, D) = 0, not measured)',
      );
    } else {
      nonconvergence += ((n / (n - nU)) * fullGradNorm) / mu;
    }
  }

  let lissa = 0;
  let lissaDetail: CertifiedBound['lissaDetail'];
  let gradNormForLissa: number | undefined;
  let lissaFormula = '';
  const settings = inputs.lissa;
  let errorForm: LissaErrorForm | undefined;
  let rho: number | undefined;
  if (settings !== undefined) {
    positiveInt('lissa.S', settings.S);
    const s = positiveInt('lissa.s', settings.s);
    const H = positive('lissa.H', settings.H);
    positiveInt('lissa.b', settings.b);
    rho = finite('lissa.rho', settings.rho);
    if (!(rho > 0 && rho < 1)) fail('lissa.rho must be in (0, 1)', { rho });
    if (H < lambdaMax + lambda) {
      fail('lissa.H must be >= lambdaMax + lambda (the recursion is not a contraction otherwise)', {
        H,
        lambdaMax,
        lambda,
      });
    }
    errorForm = settings.errorForm ?? 'sqrt-p-over-rho';
    if (errorForm !== 'sqrt-p-over-rho' && errorForm !== 'sqrt-log-p-over-rho')
      fail('unknown lissa.errorForm', { errorForm });
    const x = errorForm === 'sqrt-p-over-rho' ? p / rho : Math.log(p / rho);
    const factor = (16 * Math.sqrt(x)) / mu + 1 / 16;
    gradNormForLissa =
      updateGradNorm ??
      L * D + G + (form === 'converged' ? (n / (n - nU)) * (fullGradNorm ?? 0) : 0);
    const concentration = factor * gradNormForLissa;
    const truncation =
      settings.truncationTerm === false ? 0 : (Math.pow(1 - mu / H, s + 1) * gradNormForLissa) / mu;
    lissa = concentration + truncation;
    lissaDetail = { factor, concentration, truncation };
    const sq = errorForm === 'sqrt-p-over-rho' ? '√(p/ρ)' : '√ln(p/ρ)';
    lissaFormula = ` + [16·${sq}/(λ+λ_min) + 1/16]·‖g‖${settings.truncationTerm === false ? '' : ' + (1−(λ+λ_min)/H)^(s+1)·‖g‖/(λ+λ_min)'}`;
    assumptions.push(
      `LiSSA term holds with probability >= 1 − ρ (ρ = ${fmt(rho)}); its form is R2D's transcription (${errorForm}), the paper's theorem is unverified`,
      'LiSSA scale H dominates the spectral norm of every damped minibatch Hessian',
    );
    if (updateGradNorm === undefined) {
      assumptions.push(
        form === 'converged'
          ? '‖g‖ bounded by L·D + G + (n/(n−n_u))·‖∇L(w*, D)‖; L is the gradient-Lipschitz constant on the ball'
          : '‖g‖ bounded by L·D + G; L is the gradient-Lipschitz constant on the ball',
      );
    }
    if (inputs.L === undefined && updateGradNorm === undefined) {
      assumptions.push(
        'L taken as max(|λ_min|, |λ_max|) measured at the start point (local, not global)',
      );
    }
    if (settings.truncationTerm !== false)
      assumptions.push('truncation-bias term of the depth-s recursion added (derived)');
  }

  const bound = newton + nonconvergence + lissa;
  const gTerm =
    form === 'converged' && fullGradNorm !== undefined ? ' + (n/(n−n_u))·‖∇L(w*,D)‖/(λ+λ_min)' : '';
  const formula =
    `Δ = ((M/2)·D² + λ·D)/(λ+λ_min) + G/(λ+λ_min)${gTerm}${lissaFormula}` +
    ` with D = ${startNorm === undefined || startNorm <= C ? '2C' : 'C+‖start‖'} = ${fmt(D)}, C = ${fmt(C)}, ` +
    `M = ${fmt(M)}, λ = ${fmt(lambda)}, λ_min = ${fmt(lambdaMin)}, G = ${fmt(G)}` +
    (settings !== undefined
      ? `, p = ${p}, ρ = ${fmt(rho!)}, H = ${fmt(settings.H)}, s = ${settings.s}, ‖g‖ = ${fmt(gradNormForLissa!)}`
      : '') +
    ` → ${fmt(newton)} + ${fmt(nonconvergence)} + ${fmt(lissa)} = ${fmt(bound)}`;

  return {
    bound,
    terms: { newton, lissa, nonconvergence },
    formula,
    assumptions,
    constants: {
      C,
      lambda,
      M,
      lambdaMin,
      lambdaMax,
      G,
      L,
      diameter: D,
      p,
      n,
      nU,
      ...(gradNormForLissa !== undefined ? { gradNormForLissa } : {}),
      ...(rho !== undefined ? { rho } : {}),
      ...(errorForm !== undefined ? { lissaErrorForm: errorForm } : {}),
    },
    ...(lissaDetail !== undefined ? { lissaDetail } : {}),
    usesL: settings !== undefined && updateGradNorm === undefined,
  };
}
