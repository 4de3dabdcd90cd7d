import { parameterCount, type Architecture } from '../model/architecture';
import {
  datasetSize,
  rowsOfIds,
  selectIds,
  selectRows,
  withoutIds,
  type Dataset,
} from '../model/dataset';
import { distance, norm2 } from '../model/flat-vector';
import { addReleaseNoise } from '../model/noise';
import { modelDigest } from '../model/weights-codec';
import type { EngineTrainingProfile } from '../model/recipe';
import type { NumericEngine } from '../ports/numeric-engine';
import type { ProgressCallback } from '../progress';
import type { TrainedModel } from '../trained-model';
import type { ReleaseGuarantee } from '../guarantee';
import type { PublicRelease, StartPoint, UnlearnOutcome, UnlearnPrivate } from '../unlearn';
import { unlearningError, EngineErrorCode } from '../errors';
import {
  convexSolverRecord,
  DEFAULT_CONVEX_MAX_STEPS,
  DEFAULT_CONVEX_MAX_STEPS_FROM_SCRATCH,
  rowsOf,
  solveToTolerance,
  solveWithKeptFactor,
  type ConvexSolverSettings,
  type SolveResult,
} from './solve-to-tolerance';
import {
  assertExtractorIndependent,
  extractorRecord,
  type FeatureExtractor,
} from './feature-extractor';
import {
  buildSoftmaxHessianFactor,
  downdateSoftmaxHessianFactor,
  gradientWithoutRows,
  type SoftmaxHessianFactor,
} from '../../domain/convex/hessian-factor';
import { UnlearningError, UnlearningErrorCodes } from '../../domain/errors';
import { softmaxRegressionLossAndGradient } from '../../domain/convex/softmax-regression';
import { assertHonestGuarantee } from '../../domain/model/guarantee';
import {
  assertHonestConvexGuarantee,
  calibrateConvexNewton,
  CONVEX_CHECK_NAMES,
  type ConvexCalibration,
  type ConvexChecks,
} from '../../domain/convex/convex-certificate';
import type { MechanismPolicy } from '../../domain/privacy/gaussian-mechanism';
import type { Seed } from '../../domain/random';

/**
 * `convex-newton` (docs/method.md#10-convex-newton-certified-removal-for-a-strongly-convex-model,
 * docs/adr/0011-convex-newton.md): certified removal for an L2-regularised softmax regression.
 * From the current PRIVATE noise-free solution, Newton steps on F_r until the private check
 * ‖∇F_r(w)‖/λ ≤ τ passes (λ = the recipe's l2), then release w + N(0, σ²I) with σ calibrated to
 * Δ = 2τ for the target (ε, δ). If τ is not reached within `maxSteps`, the request is refused
 * (CERTIFICATION_CHECK_FAILED naming the check, no value) and nothing is released. Retraining from
 * scratch is the same mechanism (solve from w = 0 to τ, add the same noise): the reference the
 * certificate compares against, and the exact fallback. The solver is float64 TypeScript
 * (solve-to-tolerance.ts); the use cases take the engine first like every other one, for a future
 * accelerated solver.
 */
export interface ConvexNewtonSettings {
  /** Target (ε, δ) of one release. */
  readonly epsilon: number;
  readonly delta: number;
  readonly mechanism?: MechanismPolicy;
  readonly solver: ConvexSolverSettings;
  /**
   * The frozen extractor whose features the model is a softmax regression on (feature-extractor.ts):
   * the datasets passed are then its features (`featurize`), and the certificate records its digest
   * and provenance. Absent: the model is on the raw inputs.
   */
  readonly extractor?: FeatureExtractor;
}

export interface ConvexUnlearnRequest {
  /** The chain's PRIVATE noise-free solution on D (w*, or the previous request's centre). */
  readonly start: StartPoint;
  /** D before this request; D_u ⊂ D. */
  readonly data: Dataset;
  readonly forgetIds: readonly string[];
  readonly settings: ConvexNewtonSettings;
  /** Recorded with the release (the method has no other randomness than the CSPRNG noise). */
  readonly seed: Seed;
  /**
   * PRIVATE, with `solver.keptFactor`: the kept Hessian factor of `data` at the chain's centre
   * (`keepConvexFactor`, or the previous outcome's `private.factor`). Absent: rebuilt on D_r.
   */
  readonly factor?: SoftmaxHessianFactor;
  readonly onProgress?: ProgressCallback;
}

/** PRIVATE part of a convex-newton (or convex retrain) outcome: never published. */
export interface ConvexPrivate extends UnlearnPrivate {
  /** The check's values at the noise-free centre: ‖∇F_r(w)‖ (float64) and its allowance. */
  readonly convexChecks: ConvexChecks;
  readonly newtonSteps: number;
  readonly hvps: number;
  /** Steps taken with the kept factor, and full float64 gradients evaluated. */
  readonly factorSteps?: number;
  readonly gradients?: number;
  /** With `solver.keptFactor`: the factor of D_r for the next request (updated, not shared). */
  readonly factor?: SoftmaxHessianFactor;
}

export interface ConvexOutcome extends UnlearnOutcome {
  readonly private: ConvexPrivate;
}

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  unlearningError(EngineErrorCode.InvalidSettings, message, details, 'validation');

/** Checks the settings and the architecture; returns Δ, σ (settings only). */
export const convexCalibration = (
  arch: Architecture,
  l2: number,
  s: ConvexNewtonSettings,
): ConvexCalibration => {
  if (arch.kind !== 'logistic-regression') {
    throw invalid(
      'convex-newton certifies a softmax regression (logistic-regression architecture) only',
      { kind: arch.kind },
    );
  }
  const maxSteps = s.solver.maxSteps ?? DEFAULT_CONVEX_MAX_STEPS;
  if (!(Number.isInteger(maxSteps) && maxSteps >= 1))
    throw invalid('maxSteps must be an integer >= 1', { maxSteps });
  try {
    return calibrateConvexNewton(
      {
        epsilon: s.epsilon,
        delta: s.delta,
        tolerance: s.solver.tolerance,
        ...(s.mechanism ? { mechanism: s.mechanism } : {}),
      },
      l2,
    );
  } catch (e) {
    if (e instanceof UnlearningError) throw invalid(e.message, { cause: e.code });
    throw e;
  }
};

/** The public guarantee of a convex-newton release: settings only (λ, τ, ε, δ, n, n_u, p). */
export const convexNewtonGuarantee = (
  arch: Architecture,
  l2: number,
  s: ConvexNewtonSettings,
  cal: ConvexCalibration,
  sizes: { readonly n: number; readonly nU: number },
): ReleaseGuarantee => {
  const p = parameterCount(arch);
  const tau = s.solver.tolerance;
  const ex = s.extractor ? extractorRecord(s.extractor) : undefined;
  return {
    type: 'certified',
    epsilon: s.epsilon,
    delta: s.delta,
    sigma: cal.sigma,
    bound: cal.bound,
    mechanism: cal.mechanism,
    boundTerms: { release: tau, reference: tau },
    formula: 'Δ = 2τ; ‖w − w*_r‖ ≤ ‖∇F_r(w)‖/λ ≤ τ for the release and the reference',
    assumptions: {
      model: 'softmax-regression',
      activation: 'linear',
      lambda: l2,
      tau,
      n: sizes.n,
      nU: sizes.nU,
      p,
      mechanismDelta: s.delta,
      features: ex ? 'frozen-extractor' : 'raw-inputs',
      ...(ex
        ? {
            extractorKind: ex.kind,
            extractorDigest: ex.digest,
            extractorInputDim: ex.inputDim,
            extractorOutputDim: ex.outputDim,
            extractorActivation: ex.activation,
            extractorProvenance: ex.provenance,
            extractorTrainedOnDigest: ex.trainedOnDigest,
            extractorTrainedOnCount: ex.trainedOnCount,
          }
        : {}),
    },
    measured: [],
    assumed: [],
    settings: ['lambda', 'tau'],
    statements: [
      'F_r(w) = mean softmax cross-entropy over D_r + (λ/2)‖w‖² (every parameter) is λ-strongly ' +
        'convex, so ‖w − w*_r‖ ≤ ‖∇F_r(w)‖/λ for every w (no assumption: λ is the L2 setting)',
      'the released centre passed the private check ‖∇F_r(w)‖/λ ≤ τ, computed in float64 at the ' +
        'float32 vector with a rounding allowance',
      'reference: retraining from scratch on D_r to the same check, plus N(0, σ²I) with the same σ; ' +
        'both centres lie within τ of w*_r, so Δ = 2τ',
      `σ calibrated to Δ = 2τ for (ε, δ) by the ${cal.mechanism} Gaussian mechanism; δ has no other part`,
      'the pass/fail outcome of the private check (≤ 1 bit per request) is not covered by (ε, δ)',
      ...(ex
        ? [
            `the inputs are the features of a frozen ${ex.kind} extractor (digest ${ex.digest}), ` +
              'fixed before training and trained on no record that may be deleted ' +
              `(${ex.trainedOnCount} records, digest ${ex.trainedOnDigest}): the guarantee covers the softmax head on these features`,
          ]
        : []),
    ],
    checks: [...CONVEX_CHECK_NAMES],
    method: 'convex-newton',
    solver: convexSolverRecord(s.solver, p),
  };
};

/** The retrain fallback's guarantee: exact (D_u unused), released with the same σ. */
export const convexRetrainGuarantee = (
  l2: number,
  s: ConvexNewtonSettings,
  cal: ConvexCalibration,
): ReleaseGuarantee => ({
  type: 'exact',
  epsilon: 0,
  delta: 0,
  sigma: cal.sigma,
  bound: 0,
  assumptions: {
    lambda: l2,
    tau: s.solver.tolerance,
    ...(s.extractor ? { extractorDigest: s.extractor.digest } : {}),
  },
  measured: [],
  assumed: [],
  settings: ['lambda', 'tau'],
  statements: [
    'retrained from scratch on D_r (Newton from w = 0 until ‖∇F_r(w)‖/λ ≤ τ): no information on D_u is used',
    "released with N(0, σ²I) of the model's convex-newton σ: the reference distribution its certified releases are compared to",
  ],
  method: 'retrain',
});

const checkFailed = () =>
  new UnlearningError(
    UnlearningErrorCodes.CERTIFICATION_CHECK_FAILED,
    'private certification check failed: gradient-residual (values stay private)',
    { failed: [...CONVEX_CHECK_NAMES] },
  );

interface Split {
  readonly retain: Dataset;
  /** D_u's rows, in D's order. */
  readonly forget: Dataset;
  readonly n: number;
  readonly nU: number;
}

const split = (req: ConvexUnlearnRequest): Split => {
  const p = parameterCount(req.start.arch);
  const e = req.settings.extractor;
  if (e) {
    if (req.data.dim !== e.outputDim)
      throw invalid('with an extractor, the data must be its features (featurize)', {
        dim: req.data.dim,
        extractorOutputDim: e.outputDim,
      });
    assertExtractorIndependent(e, req.data);
  }
  if (req.start.params.length !== p) throw invalid('start parameters do not fit the architecture');
  const unique = [...new Set(req.forgetIds)];
  if (unique.length === 0) throw invalid('forgetIds is empty');
  const n = datasetSize(req.data);
  // One pass over D's ids (a request must not cost several id maps of D: docs/benchmarks.md (g)).
  const drop = new Set(unique);
  const keepRows: number[] = [];
  const forgetRows: number[] = [];
  req.data.ids.forEach((id, i) => (drop.has(id) ? forgetRows : keepRows).push(i));
  if (forgetRows.length !== unique.length) rowsOfIds(req.data, unique); // UNKNOWN_RECORDS
  if (unique.length >= n) throw invalid('cannot forget every record (D_r would be empty)');
  return {
    retain: selectRows(req.data, keepRows, `${req.data.name}/retain`),
    forget: selectRows(req.data, forgetRows, `${req.data.name}/forget`),
    n,
    nU: unique.length,
  };
};

/** What computed a convex-newton release: the float64 TypeScript solver (no tfjs backend). */
export const CONVEX_BACKEND = 'float64 (TypeScript)';

const outcome = (
  req: ConvexUnlearnRequest,
  s: Split,
  solved: SolveResult,
  method: PublicRelease['method'],
  guarantee: ReleaseGuarantee,
  t0: number,
  factor?: { readonly factor: SoftmaxHessianFactor; readonly ms: number },
): ConvexOutcome => {
  const { arch } = req.start;
  // Release noise from a CSPRNG (never seeded, never recorded): docs/adr/0004.
  const released = addReleaseNoise(solved.params, guarantee.sigma);
  return {
    public: {
      mode: guarantee.type === 'exact' ? 'exact' : 'certified',
      method,
      released: { params: released, digest: modelDigest(arch, released) },
      remainingIds: s.retain.ids,
      guarantee,
      n: s.n,
      nU: s.nU,
      seed: String(req.seed),
      backend: CONVEX_BACKEND,
    },
    private: {
      chainParams: solved.params,
      chainDigest: modelDigest(arch, solved.params),
      stepNorm: distance(solved.params, req.start.params),
      projected: false,
      updateGradientNorm: solved.checks.gradientNorm,
      chainGradientResidualNorm: solved.checks.gradientNorm,
      noiseNorm: distance(released, solved.params),
      convexChecks: solved.checks,
      newtonSteps: solved.steps,
      hvps: solved.hvps,
      ...(solved.factorSteps !== undefined ? { factorSteps: solved.factorSteps } : {}),
      ...(solved.gradients !== undefined ? { gradients: solved.gradients } : {}),
      ...(factor ? { factor: factor.factor } : {}),
      timingsMs: {
        solve: solved.wallTimeMs,
        ...(factor ? { factor: factor.ms } : {}),
        total: Date.now() - t0,
      },
    },
  };
};

/**
 * One deletion request by convex-newton. Order: validate → Δ, σ and the guarantee from settings →
 * Newton steps on the private centre (private check) → refuse, or gate + noise + release.
 */
export const convexNewtonUnlearn = async (
  _engine: NumericEngine,
  req: ConvexUnlearnRequest,
): Promise<ConvexOutcome> => {
  const t0 = Date.now();
  const l2 = req.start.recipe.l2;
  const cal = convexCalibration(req.start.arch, l2, req.settings);
  const s = split(req);
  const guarantee = convexNewtonGuarantee(req.start.arch, l2, req.settings, cal, s);
  assertHonestGuarantee(guarantee);
  const base = {
    arch: req.start.arch,
    l2,
    data: s.retain,
    start: req.start.params,
    tolerance: req.settings.solver.tolerance,
    maxSteps: req.settings.solver.maxSteps ?? DEFAULT_CONVEX_MAX_STEPS,
    settings: req.settings.solver,
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  };
  let kept: { factor: SoftmaxHessianFactor; ms: number } | undefined;
  let solved: SolveResult;
  if (req.settings.solver.keptFactor === true) {
    const tf = Date.now();
    const factor = req.factor
      ? downdateKept(req.factor, req, s.forget)
      : buildSoftmaxHessianFactor(req.start.params, rowsOf(s.retain), l2);
    const startGradient = req.factor ? keptStartGradient(req.factor, req, s.forget, l2) : undefined;
    const ms = Date.now() - tf;
    solved = await solveWithKeptFactor({
      ...base,
      factor,
      ...(startGradient ? { startGradient } : {}),
    });
    kept = {
      factor: solved.gradient
        ? { ...factor, lastGradient: { at: solved.params, gradient: solved.gradient } }
        : factor,
      ms,
    };
  } else {
    solved = await solveToTolerance(base);
  }
  if (!solved.reached) throw checkFailed();
  assertHonestConvexGuarantee(guarantee, solved.checks);
  return outcome(req, s, solved, 'convex-newton', guarantee, t0, kept);
};

/** The kept factor of D without the request's rows (it must hold exactly D's rows). */
const downdateKept = (
  f: SoftmaxHessianFactor,
  req: ConvexUnlearnRequest,
  forget: Dataset,
): SoftmaxHessianFactor => {
  if (f.rows !== datasetSize(req.data) || f.dim !== req.data.dim || f.classes !== req.data.classes)
    throw invalid('the kept factor does not hold the request’s data', {
      factorRows: f.rows,
      n: datasetSize(req.data),
    });
  return downdateSoftmaxHessianFactor(f, rowsOf(forget));
};

/**
 * ∇F_r at the start from the kept gradient of D at the same point (O(n_u·d·k)); undefined when
 * the kept gradient is not at exactly this start on exactly these rows.
 */
const keptStartGradient = (
  f: SoftmaxHessianFactor,
  req: ConvexUnlearnRequest,
  forget: Dataset,
  l2: number,
): Float64Array | undefined => {
  const g = f.lastGradient;
  const w = req.start.params;
  if (!g || g.at.length !== w.length || f.rows !== datasetSize(req.data)) return undefined;
  for (let i = 0; i < w.length; i++) if (g.at[i] !== w[i]) return undefined;
  return gradientWithoutRows(w, g.gradient, f.rows, rowsOf(forget), l2);
};

/**
 * The kept factor of `data` at `params` (PRIVATE; docs/adr/0011-convex-newton.md "The kept factor"):
 * built once after training (and after an exact retrain), then downdated by every request.
 */
export const keepConvexFactor = (
  params: Float32Array,
  data: Dataset,
  l2: number,
): SoftmaxHessianFactor => {
  const rows = rowsOf(data);
  const factor = buildSoftmaxHessianFactor(params, rows, l2);
  const { gradient } = softmaxRegressionLossAndGradient(params, rows, l2);
  return { ...factor, lastGradient: { at: Float32Array.from(params), gradient } };
};

const notConverged = (steps: number) =>
  unlearningError(
    EngineErrorCode.InvalidSettings,
    `solving from scratch did not reach τ within ${steps} Newton steps: raise maxStepsFromScratch or τ`,
    { maxStepsFromScratch: steps },
  );

/**
 * The exact fallback: solve from w = 0 on D_r to τ and release with the same σ (guarantee exact,
 * ε = 0; the chain and its ledger restart from this solution). Throws INVALID_UNLEARNING_SETTINGS
 * when τ is not reached within `maxStepsFromScratch` (nothing is released).
 */
export const convexRetrain = async (
  _engine: NumericEngine,
  req: ConvexUnlearnRequest,
): Promise<ConvexOutcome> => {
  const t0 = Date.now();
  const l2 = req.start.recipe.l2;
  const cal = convexCalibration(req.start.arch, l2, req.settings);
  const s = split(req);
  const guarantee = convexRetrainGuarantee(l2, req.settings, cal);
  assertHonestGuarantee(guarantee);
  const maxSteps = req.settings.solver.maxStepsFromScratch ?? DEFAULT_CONVEX_MAX_STEPS_FROM_SCRATCH;
  const solved = await solveToTolerance({
    arch: req.start.arch,
    l2,
    data: s.retain,
    start: new Float32Array(req.start.params.length),
    tolerance: req.settings.solver.tolerance,
    maxSteps,
    settings: req.settings.solver,
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  });
  if (!solved.reached) throw notConverged(maxSteps);
  if (req.settings.solver.keptFactor === true) {
    const tf = Date.now();
    const factor = keepConvexFactor(solved.params, s.retain, l2);
    return outcome(req, s, solved, 'retrain', guarantee, t0, { factor, ms: Date.now() - tf });
  }
  return outcome(req, s, solved, 'retrain', guarantee, t0);
};

/**
 * Trains a softmax regression for convex-newton: Newton from w = 0 on `data` until
 * ‖∇F(w)‖/λ ≤ τ. Returns the noise-free solution (PRIVATE: the chain's start; publish a release
 * of it with noise, never these parameters, if the initial model must be certified too). The
 * profile records λ as `l2`; there is no norm ball (C = Number.MAX_VALUE: the problem is
 * unconstrained) and no Adam (learningRate 0, epochs = Newton steps).
 */
export const trainConvexModel = async (
  _engine: NumericEngine,
  opts: {
    readonly data: Dataset;
    readonly l2: number;
    readonly solver: ConvexSolverSettings;
    /** `datasetDigest(data)` (infrastructure/data/digest.ts), recorded in the profile. */
    readonly dataDigest: string;
    /**
     * The frozen extractor `data` holds the features of (`featurize`): checked to share no record
     * with `data` and to fit its dimension.
     */
    readonly extractor?: FeatureExtractor;
    readonly onProgress?: ProgressCallback;
  },
): Promise<TrainedModel> => {
  if (opts.extractor) {
    if (opts.data.dim !== opts.extractor.outputDim)
      throw invalid('with an extractor, the data must be its features (featurize)', {
        dim: opts.data.dim,
        extractorOutputDim: opts.extractor.outputDim,
      });
    assertExtractorIndependent(opts.extractor, opts.data);
  }
  const arch: Architecture = {
    kind: 'logistic-regression',
    inputDim: opts.data.dim,
    classes: opts.data.classes,
  };
  const maxSteps = opts.solver.maxStepsFromScratch ?? DEFAULT_CONVEX_MAX_STEPS_FROM_SCRATCH;
  const solved = await solveToTolerance({
    arch,
    l2: opts.l2,
    data: opts.data,
    start: new Float32Array(parameterCount(arch)),
    tolerance: opts.solver.tolerance,
    maxSteps,
    settings: opts.solver,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  if (!solved.reached) throw notConverged(maxSteps);
  const n = datasetSize(opts.data);
  const recipe = {
    C: Number.MAX_VALUE,
    l2: opts.l2,
    learningRate: 0,
    epochs: solved.steps,
    batchSize: n,
    seed: 'convex-newton',
    beta1: 0,
    beta2: 0,
    adamEpsilon: 0,
  };
  const profile: EngineTrainingProfile = {
    C: recipe.C,
    l2: opts.l2,
    loss: 'softmax-cross-entropy',
    lr: 0,
    epochs: solved.steps,
    batchSize: n,
    seed: recipe.seed,
    dataDigest: opts.dataDigest,
    finalGradNorm: solved.checks.gradientNorm,
    backend: CONVEX_BACKEND,
    architecture: arch,
    finalParamNorm: norm2(solved.params),
    recipe,
    trainSize: n,
    finalLoss: solved.loss,
    parameterCount: parameterCount(arch),
    steps: solved.steps,
    wallTimeMs: solved.wallTimeMs,
  };
  return { arch, params: solved.params, digest: modelDigest(arch, solved.params), profile };
};

/** D_r after a request, for callers that need it (benches, tests). */
export const retainOf = (data: Dataset, forgetIds: readonly string[]): Dataset =>
  withoutIds(data, [...new Set(forgetIds)], `${data.name}/retain`);

/** D_u of a request. */
export const forgetOf = (data: Dataset, forgetIds: readonly string[]): Dataset =>
  selectIds(data, [...new Set(forgetIds)], `${data.name}/forget`);
