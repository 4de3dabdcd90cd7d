import { parameterCount, type Architecture } from '../model/architecture';
import { datasetSize, type Dataset } from '../model/dataset';
import { norm2 } from '../model/flat-vector';
import { yieldToEventLoop, type ProgressCallback } from '../progress';
import { unlearningError, EngineErrorCode } from '../errors';
import {
  conjugateGradient64,
  softmaxProbabilities,
  softmaxRegressionHessian,
  softmaxRegressionHvp,
  softmaxRegressionLossAndGradient,
  type SoftmaxRows,
} from '../../domain/convex/softmax-regression';
import { choleskySolve } from '../../domain/reference/linear-algebra';
import { keptFactorDirection, type SoftmaxHessianFactor } from '../../domain/convex/hessian-factor';
import {
  float64GradientAllowance,
  type ConvexChecks,
} from '../../domain/convex/convex-certificate';

/**
 * How the strongly convex problem is solved (docs/adr/0011-convex-newton.md). Settings: they are
 * published in the guarantee's solver record.
 */
export interface ConvexSolverSettings {
  /** τ: a release is certified within τ of w*_r by the private check ‖∇F_r(w)‖/λ ≤ τ. */
  readonly tolerance: number;
  /** Newton steps allowed for one unlearning request before it is refused (default 5). */
  readonly maxSteps?: number;
  /** Newton steps allowed when solving from w = 0 (training, retraining; default 40). */
  readonly maxStepsFromScratch?: number;
  /**
   * The Newton system, in float64: 'exact' (dense Hessian, Cholesky: small p), 'cg' (conjugate
   * gradient with analytic full-data HVPs), 'auto' (default): exact for p ≤ exactMaxParams.
   */
  readonly hessian?: 'auto' | 'exact' | 'cg';
  /** Largest p solved densely under 'auto' (default 512: the dense Hessian costs O(n·p²)). */
  readonly exactMaxParams?: number;
  /** CG iteration cap per Newton step (default 200). */
  readonly cgMaxIterations?: number;
  /**
   * Keep a dense Cholesky factor of the full-data curvature from training time, downdate it by each
   * request's removed rows and take the request's Newton steps with it (two triangular solves and
   * one float64 gradient per step); the Newton-CG steps above are the fallback when a step with the
   * factor does not reduce ‖∇F_r‖ (docs/adr/0011-convex-newton.md, "The kept factor"). Costs
   * O(p²) memory and O(n·nnz(x)²·k² + p³) once; for p up to a few thousand (e.g. a frozen
   * extractor's features). Default false.
   */
  readonly keptFactor?: boolean;
}

export const DEFAULT_CONVEX_MAX_STEPS = 5;
export const DEFAULT_CONVEX_MAX_STEPS_FROM_SCRATCH = 40;
export const DEFAULT_EXACT_MAX_PARAMS = 512;
export const DEFAULT_CG_MAX_ITERATIONS = 200;

export const hessianKind = (s: ConvexSolverSettings, p: number): 'exact' | 'cg' => {
  const h = s.hessian ?? 'auto';
  if (h !== 'auto') return h;
  return p <= (s.exactMaxParams ?? DEFAULT_EXACT_MAX_PARAMS) ? 'exact' : 'cg';
};

/** The solver's public record (settings only). */
export const convexSolverRecord = (
  s: ConvexSolverSettings,
  p: number,
): Readonly<Record<string, number | string>> => {
  const kind = hessianKind(s, p);
  return {
    kind,
    maxSteps: s.maxSteps ?? DEFAULT_CONVEX_MAX_STEPS,
    ...(kind === 'cg' ? { cgMaxIterations: s.cgMaxIterations ?? DEFAULT_CG_MAX_ITERATIONS } : {}),
    ...(s.keptFactor === true ? { factor: 'kept-cholesky' } : {}),
    check: 'float64',
  };
};

export interface SolveResult {
  /** The last iterate (float32, as it would be released before noise). PRIVATE. */
  readonly params: Float32Array;
  /** Whether the check (‖∇F(w)‖ + allowance)/λ ≤ τ passed at `params`. */
  readonly reached: boolean;
  /** Newton steps taken (accepted). */
  readonly steps: number;
  /** HVPs (CG iterations or dense columns) over all steps. */
  readonly hvps: number;
  /** Steps taken with the kept factor (0 without one). */
  readonly factorSteps?: number;
  /** Full float64 gradients evaluated (the check's, and every trial step's). */
  readonly gradients?: number;
  /** ∇F(params) in float64: the check's gradient. PRIVATE. */
  readonly gradient?: Float64Array;
  /** The check's values at `params`. PRIVATE. */
  readonly checks: ConvexChecks;
  readonly loss: number;
  readonly wallTimeMs: number;
}

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  unlearningError(EngineErrorCode.InvalidSettings, message, details, 'validation');

export const rowsOf = (data: Dataset): SoftmaxRows => ({
  features: data.features,
  labels: data.labels,
  dim: data.dim,
  classes: data.classes,
});

const maxAbs = (a: Float32Array): number => {
  let m = 0;
  // An indexed loop: the iterator form cost ≈ 5 ms per request at n = 7,000 (docs/benchmarks.md (g)).
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i] as number);
    if (x > m) m = x;
  }
  return m;
};

/**
 * Damped (inexact) Newton on F(w) = mean CE over `data` + (l2/2)‖w‖² for a softmax regression,
 * from `start`, until (‖∇F(w)‖ + allowance)/l2 ≤ τ or `maxSteps` steps. Everything is float64 at
 * the float32 iterate: the loss, the gradient (the certificate check), and the Newton system
 * (∇²F(w))x = ∇F(w), solved densely (Cholesky, 'exact') or by CG with analytic HVPs ('cg') to
 * the relative residual η = min(0.5, max(‖∇F‖, 0.1·l2·τ/‖∇F‖)) (a forcing term: loose far from
 * the optimum, tight enough near it). A step is halved until F decreases (Armijo, c = 1e-4), or
 * near the optimum until ‖∇F‖ decreases; from a warm start the full step is taken.
 */
export const solveToTolerance = async (opts: {
  readonly arch: Architecture;
  readonly l2: number;
  readonly data: Dataset;
  readonly start: Float32Array;
  readonly tolerance: number;
  readonly maxSteps: number;
  readonly settings: ConvexSolverSettings;
  readonly onProgress?: ProgressCallback;
}): Promise<SolveResult> => {
  const t0 = Date.now();
  const { arch, l2, data, tolerance } = opts;
  if (arch.kind !== 'logistic-regression')
    throw invalid('convex-newton needs a logistic-regression architecture', { kind: arch.kind });
  if (!(l2 > 0 && Number.isFinite(l2)))
    throw invalid('convex-newton needs an L2 coefficient > 0', { l2 });
  if (!(tolerance > 0 && Number.isFinite(tolerance)))
    throw invalid('convex-newton needs a tolerance τ > 0', { tolerance });
  if (!(Number.isInteger(opts.maxSteps) && opts.maxSteps >= 0))
    throw invalid('maxSteps must be an integer >= 0', { maxSteps: opts.maxSteps });
  const p = parameterCount(arch);
  if (opts.start.length !== p) throw invalid('start parameters do not fit the architecture');
  if (data.dim !== arch.inputDim || data.classes !== arch.classes)
    throw invalid('the dataset does not fit the architecture', { dim: data.dim });
  const rows = rowsOf(data);
  const allowance = float64GradientAllowance(datasetSize(data), p, maxAbs(data.features));
  const kind = hessianKind(opts.settings, p);
  const cgMax = opts.settings.cgMaxIterations ?? DEFAULT_CG_MAX_ITERATIONS;
  let w = Float32Array.from(opts.start);
  let { loss, gradient } = softmaxRegressionLossAndGradient(w, rows, l2);
  let gradients = 1;
  let steps = 0;
  let hvps = 0;
  const passes = (g: Float64Array) => (norm2(g) + allowance) / l2 <= tolerance;
  while (!passes(gradient) && steps < opts.maxSteps) {
    const gNorm = norm2(gradient);
    let x: Float64Array;
    if (kind === 'exact') {
      x = choleskySolve(softmaxRegressionHessian(w, rows, l2), gradient);
      hvps += p;
    } else {
      const probabilities = softmaxProbabilities(w, rows);
      const eta = Math.min(0.5, Math.max(gNorm, (0.1 * l2 * tolerance) / gNorm));
      const cg = conjugateGradient64(
        (v) => softmaxRegressionHvp(rows, probabilities, v, l2),
        gradient,
        eta,
        cgMax,
      );
      x = cg.solution;
      hvps += cg.iterations;
    }
    let slope = 0;
    for (let i = 0; i < p; i++) slope += (gradient[i] as number) * (x[i] as number);
    let t = 1;
    let accepted = false;
    for (let halvings = 0; halvings < 30; halvings++, t /= 2) {
      const trial = new Float32Array(p);
      for (let i = 0; i < p; i++) trial[i] = (w[i] as number) - t * (x[i] as number);
      const next = softmaxRegressionLossAndGradient(trial, rows, l2);
      gradients++;
      // Armijo, or (near the optimum, where float64 loss differences vanish) a smaller gradient.
      if (next.loss <= loss - 1e-4 * t * slope || norm2(next.gradient) < gNorm) {
        w = trial;
        loss = next.loss;
        gradient = next.gradient;
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
    steps++;
    opts.onProgress?.({ phase: 'convex-newton', done: steps, total: opts.maxSteps });
    await yieldToEventLoop();
  }
  return {
    params: w,
    reached: passes(gradient),
    steps,
    hvps,
    gradients,
    gradient,
    checks: { gradientNorm: norm2(gradient), allowance },
    loss,
    wallTimeMs: Date.now() - t0,
  };
};

/**
 * Steps with a kept Hessian factor (domain/convex/hessian-factor.ts) from `start` on `data`:
 * w ← w − n_r·S⁻¹∇F(w), each step two triangular solves and one float64 gradient (which is also
 * the check), while ‖∇F‖ decreases and the check fails, at most `maxSteps`; then, if the check
 * still fails, the Newton-CG steps of `solveToTolerance` with the steps left. The factor is only a
 * preconditioner: what certifies the result is the same float64 check.
 */
export const solveWithKeptFactor = async (opts: {
  readonly arch: Architecture;
  readonly l2: number;
  readonly data: Dataset;
  readonly start: Float32Array;
  readonly tolerance: number;
  readonly maxSteps: number;
  readonly settings: ConvexSolverSettings;
  readonly factor: SoftmaxHessianFactor;
  /** ∇F(start) on `data` if known (float64, e.g. `gradientWithoutRows`): saves the first full pass. */
  readonly startGradient?: Float64Array;
  readonly onProgress?: ProgressCallback;
}): Promise<SolveResult> => {
  const t0 = Date.now();
  const { arch, l2, data, tolerance, factor } = opts;
  const p = parameterCount(arch);
  if (factor.p !== p || factor.dim !== data.dim || factor.classes !== data.classes)
    throw invalid('the kept factor does not fit the architecture');
  if (opts.start.length !== p) throw invalid('start parameters do not fit the architecture');
  const rows = rowsOf(data);
  const n = datasetSize(data);
  const allowance = float64GradientAllowance(n, p, maxAbs(data.features));
  const passes = (g: Float64Array) => (norm2(g) + allowance) / l2 <= tolerance;
  let w = Float32Array.from(opts.start);
  let gradients = 0;
  let loss = NaN;
  let gradient: Float64Array;
  if (opts.startGradient && opts.startGradient.length === p) {
    gradient = opts.startGradient;
  } else {
    ({ loss, gradient } = softmaxRegressionLossAndGradient(w, rows, l2));
    gradients++;
  }
  // The start gradient, if given, only chooses the first step: the check needs a full pass.
  let checked = gradients > 0;
  let steps = 0;
  while (!(checked && passes(gradient)) && steps < opts.maxSteps) {
    const x = keptFactorDirection(factor, gradient, n);
    const trial = new Float32Array(p);
    for (let i = 0; i < p; i++) trial[i] = (w[i] as number) - (x[i] as number);
    const next = softmaxRegressionLossAndGradient(trial, rows, l2);
    gradients++;
    if (!(norm2(next.gradient) < norm2(gradient))) break;
    w = trial;
    loss = next.loss;
    gradient = next.gradient;
    checked = true;
    steps++;
    opts.onProgress?.({ phase: 'convex-newton', done: steps, total: opts.maxSteps });
  }
  if (!checked) {
    ({ loss, gradient } = softmaxRegressionLossAndGradient(w, rows, l2));
    gradients++;
  }
  if (passes(gradient) || steps >= opts.maxSteps) {
    return {
      params: w,
      reached: passes(gradient),
      steps,
      hvps: 0,
      factorSteps: steps,
      gradients,
      gradient,
      checks: { gradientNorm: norm2(gradient), allowance },
      loss,
      wallTimeMs: Date.now() - t0,
    };
  }
  const rest = await solveToTolerance({ ...opts, start: w, maxSteps: opts.maxSteps - steps });
  return {
    ...rest,
    steps: steps + rest.steps,
    factorSteps: steps,
    gradients: gradients + (rest.gradients ?? 0),
    wallTimeMs: Date.now() - t0,
  };
};
