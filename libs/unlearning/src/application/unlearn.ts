import { datasetSize, rowsOfIds, selectIds, withoutIds, type Dataset } from './model/dataset';
import { parameterCount, type Architecture } from './model/architecture';
import { axpy, distance, norm2, projectToBall, scale } from './model/flat-vector';
import { addReleaseNoise } from './model/noise';
import { modelDigest } from './model/weights-codec';
import type { TrainingRecipe } from './model/recipe';
import { unlearningError, EngineErrorCode } from './errors';
import type { ProgressCallback } from './progress';
import { certifiedBound, type CertifiedBound } from '../domain/bound/certified-bound';
import { lanczosMargin, type LanczosMargin } from '../domain/bound/spectrum-margin';
import { calibrateSigma, type MechanismPolicy } from '../domain/privacy/gaussian-mechanism';
import { deriveSeed, type Seed } from '../domain/random';
import { UnlearningError, UnlearningErrorCodes } from '../domain/errors';
import {
  assertHonestGuarantee,
  failedCertificationChecks,
  SMOOTH_ACTIVATIONS,
  START_NORM_SLACK,
  type CertificationChecks,
} from '../domain/model/guarantee';
import type { UnlearningMode } from '../domain/model/unlearning-mode';
import type {
  ConstantsSettings,
  InverseHvpMethod,
  InverseHvpResult,
  MeasuredConstants,
  NumericEngine,
} from './ports/numeric-engine';
import { retrainModel } from './trained-model';
import {
  certifiedGuarantee,
  exactGuarantee,
  uncertifiedGuarantee,
  type ReleaseGuarantee,
} from './guarantee';

export type { UnlearningMode };
export type UpdateForm = 'nonconvergence' | 'converged';
export type UnlearningMethod =
  'newton-lissa' | 'newton-exact' | 'newton-cg' | 'convex-newton' | 'retrain';

export interface NewtonSettings {
  /**
   * 'nonconvergence' (official code): w~ = w − (H+λI)⁻¹∇L(w, D_r).
   * 'converged': w~ = w + (n_u/(n−n_u))·(H+λI)⁻¹∇L(w, D_u) (needs ∇L(w, D) = 0).
   */
  readonly form: UpdateForm;
  /** λ, the local convex approximation's damping. */
  readonly damping: number;
  readonly inverse: InverseHvpMethod;
  /**
   * Project w~ back onto the C-ball (not in the paper or the repo; never increases the distance to
   * the retrained model, which lies in the ball). Default true; a certified chain needs it (the
   * next start must lie in the ball).
   */
  readonly projectToBall?: boolean;
}

/**
 * The public settings and stated assumptions of a certified release. Δ and σ are functions of
 * these only; what the engine measures (spectrum, gradient norms, solver residual) is a private
 * pass/fail check of them (docs/adr/0004-certified-bound-and-noise.md).
 */
export interface CertificationSettings {
  readonly epsilon: number;
  /** Total δ of the release: the mechanism's δ plus the spectrum failure probability. */
  readonly delta: number;
  /** Hessian-Lipschitz constant: an assumption, > 0 (needs a smooth activation). */
  readonly M: number;
  /** Assumed floor on λ_min(∇²L(start, D_r)) (may be < 0; λ + λ_min > 0); checked privately. */
  readonly lambdaMin: number;
  /**
   * Assumed bound on ‖∇L(w~*, D_r)‖ at the retrained model (and, converged form, on
   * ‖∇L(start, D)‖); checked privately against the measurable proxies.
   */
  readonly G: number;
  /** τ: the solver error ‖x − (H+λI)⁻¹g‖ is certified ≤ τ by the residual (checked privately). */
  readonly solverTolerance: number;
  /** Failure probability of the Lanczos margin, part of δ. Default δ/10. */
  readonly spectrumFailureProbability?: number;
  readonly mechanism?: MechanismPolicy;
}

/** The model a request starts from: w* for the first request, the chain state after. */
export interface StartPoint {
  readonly arch: Architecture;
  readonly params: Float32Array;
  /** The training recipe (C, l2, … and, for retraining, everything else). */
  readonly recipe: TrainingRecipe;
  /** ||∇L(w*, D)|| at the end of training (from the profile): one of G's private proxies. */
  readonly trainingGradientNorm?: number;
}

interface RequestBase {
  readonly start: StartPoint;
  /** D before this request (D_r(k−1)); D_u ⊂ D. */
  readonly data: Dataset;
  readonly forgetIds: readonly string[];
  /** Seed of the Lanczos start and of the LiSSA minibatches (NOT of the release noise). */
  readonly seed: Seed;
  readonly onProgress?: ProgressCallback;
}

/** Retrain from scratch on D_r with the same recipe and seed (ε = 0). */
export interface ExactUnlearnRequest extends RequestBase {
  readonly mode: 'exact';
}

/** The paper's code path with a fixed σ (repo: 1e-3); guarantee 'none'. */
export interface PaperExperimentRequest extends RequestBase {
  readonly mode: 'paper-experiment';
  readonly newton: NewtonSettings;
  /** The noise std, given directly; > 0 (σ = 0 would publish the noise-free state). */
  readonly sigma: number;
}

/** Newton step + Gaussian noise calibrated to the settings-only bound. */
export interface CertifiedUnlearnRequest extends RequestBase {
  readonly mode: 'certified';
  readonly newton: NewtonSettings;
  readonly certification: CertificationSettings;
  /** Lanczos k (default 30) and an optional Hessian subsample: settings, stated publicly. */
  readonly constantsSettings?: Pick<ConstantsSettings, 'iterations' | 'hessianSampleSize'>;
}

export type UnlearnRequest = ExactUnlearnRequest | PaperExperimentRequest | CertifiedUnlearnRequest;

/**
 * PUBLIC: everything that may leave the worker (certificate, Kafka, logs). Identical for two
 * requests that differ only in the deleted records' content, except the noisy weights (and ids).
 */
export interface PublicRelease {
  readonly mode: UnlearningMode;
  readonly method: UnlearningMethod;
  /** w~ + N(0, σ²I) (noise from a CSPRNG, never seeded), or the retrained model (exact). */
  readonly released: { readonly params: Float32Array; readonly digest: string };
  readonly remainingIds: readonly string[];
  readonly guarantee: ReleaseGuarantee;
  readonly n: number;
  readonly nU: number;
  /**
   * The request seed (Lanczos start, LiSSA minibatches). It does NOT determine the release
   * noise, which comes from a CSPRNG and has no seed.
   */
  readonly seed: string;
  readonly backend: string;
}

/**
 * PRIVATE: values derived from the noise-free chain state, the start point or the data. They go
 * into the sequential private state/store only; never into a certificate, a log, a Kafka message
 * or a public result (docs/adr/0004-certified-bound-and-noise.md).
 */
export interface UnlearnPrivate {
  /** The noise-free w~ (Newton) or the retrained model (exact). */
  readonly chainParams: Float32Array;
  readonly chainDigest: string;
  /** ||w~ − start|| before projection. */
  readonly stepNorm: number;
  /** Whether w~ left the C-ball and was projected back. */
  readonly projected: boolean;
  /** ||g|| of the vector the inverse-HVP is applied to. */
  readonly updateGradientNorm: number;
  /** ||∇L(w~, D_r)|| at the noise-free update (L2 included). */
  readonly chainGradientResidualNorm: number;
  /** ||release − w~|| (the drawn noise's norm). */
  readonly noiseNorm: number;
  /** Certified mode: the measured values behind the checks the release passed. */
  readonly checks?: CertificationChecks;
  readonly constants?: MeasuredConstants;
  readonly inverse?: Omit<InverseHvpResult, 'solution'>;
  /** Wall-clock timings (a side channel on the data: private). */
  readonly timingsMs: Readonly<Record<string, number>>;
}

export interface UnlearnOutcome {
  readonly public: PublicRelease;
  /** PRIVATE: keep in the private chain store only. */
  readonly private: UnlearnPrivate;
}

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  unlearningError(EngineErrorCode.InvalidSettings, message, details, 'validation');

const notCertifiable = (message: string, details: Record<string, unknown> = {}) =>
  new UnlearningError(UnlearningErrorCodes.BOUND_INVALID_INPUT, message, details);

/** Default Lanczos k for the spectrum check. */
export const DEFAULT_LANCZOS_ITERATIONS = 30;

const methodOf = (m: InverseHvpMethod): Exclude<UnlearningMethod, 'retrain'> =>
  m.kind === 'lissa' ? 'newton-lissa' : m.kind === 'exact' ? 'newton-exact' : 'newton-cg';

/** 'tanh' for a tanh MLP, 'linear' for logistic regression, else the activation's name. */
export const activationOf = (arch: Architecture): string =>
  arch.kind === 'mlp' ? arch.activation : 'linear';

/** The solver's public record (settings only). */
const solverRecord = (m: InverseHvpMethod): Record<string, number | string> =>
  m.kind === 'lissa'
    ? {
        kind: 'lissa',
        S: m.settings.chains,
        s: m.settings.depth,
        H: m.settings.scale,
        b: m.settings.batchSize,
      }
    : m.kind === 'cg'
      ? {
          kind: 'cg',
          ...(m.tolerance !== undefined ? { tolerance: m.tolerance } : {}),
          ...(m.maxIterations !== undefined ? { maxIterations: m.maxIterations } : {}),
        }
      : { kind: 'exact' };

// ---------------------------------------------------------------------------------------------
// Step 1: prepare (validate, split D into D_r and D_u)

interface Prepared {
  readonly retain: Dataset;
  readonly forget: Dataset;
  readonly n: number;
  readonly nU: number;
  readonly p: number;
  readonly seed: string;
  readonly t0: number;
  readonly timings: Record<string, number>;
}

const prepare = (req: UnlearnRequest): Prepared => {
  const { start, data } = req;
  const p = parameterCount(start.arch);
  if (start.params.length !== p) throw invalid('start parameters do not fit the architecture');
  const uniqueForget = [...new Set(req.forgetIds)];
  if (uniqueForget.length === 0) throw invalid('forgetIds is empty');
  rowsOfIds(data, uniqueForget); // throws UNKNOWN_RECORDS for ids not in D
  const n = datasetSize(data);
  const nU = uniqueForget.length;
  if (nU >= n) throw invalid('cannot forget every record (D_r would be empty)', { n, nU });
  if (req.mode === 'paper-experiment' && !(req.sigma > 0 && Number.isFinite(req.sigma)))
    throw invalid("mode 'paper-experiment' needs sigma > 0");
  return {
    retain: withoutIds(data, uniqueForget, `${data.name}/retain`),
    forget: selectIds(data, uniqueForget, `${data.name}/forget`),
    n,
    nU,
    p,
    seed: String(req.seed),
    t0: Date.now(),
    timings: {},
  };
};

// ---------------------------------------------------------------------------------------------
// Step 2: the settings-only bound and σ (built once, before anything is measured)

interface Calibration {
  readonly bound: CertifiedBound;
  readonly margin: LanczosMargin;
  readonly sigma: number;
  readonly mechanism: 'classic' | 'analytic';
  readonly mechanismDelta: number;
  readonly lanczosIterations: number;
}

const calibrate = (req: CertifiedUnlearnRequest, prep: Prepared): Calibration => {
  const cert = req.certification;
  const activation = activationOf(req.start.arch);
  if (!SMOOTH_ACTIVATIONS.includes(activation)) {
    throw invalid(
      `certified mode needs a smooth activation (tanh): a ${activation} network has no finite ` +
        'Hessian-Lipschitz constant M; use exact or paper-experiment',
      { activation },
    );
  }
  if (req.newton.projectToBall === false)
    throw invalid('certified mode projects w~ onto the C-ball (the next start must lie in it)');
  const rho = cert.spectrumFailureProbability ?? cert.delta / 10;
  if (!(rho > 0 && rho < cert.delta))
    throw invalid('spectrumFailureProbability must be in (0, delta)', { rho, delta: cert.delta });
  const lanczosIterations = Math.min(
    req.constantsSettings?.iterations ?? DEFAULT_LANCZOS_ITERATIONS,
    prep.p,
  );
  const margin = lanczosMargin({
    iterations: lanczosIterations,
    dimension: prep.p,
    failureProbability: rho,
  });
  const bound = certifiedBound({
    C: req.start.recipe.C,
    lambda: req.newton.damping,
    M: cert.M,
    lambdaMin: cert.lambdaMin,
    G: cert.G,
    n: prep.n,
    nU: prep.nU,
    form: req.newton.form,
    solverTolerance: cert.solverTolerance,
    diameter: (2 + START_NORM_SLACK) * req.start.recipe.C,
  });
  const mechanismDelta = cert.delta - rho;
  const cal = calibrateSigma({
    epsilon: cert.epsilon,
    delta: mechanismDelta,
    sensitivity: bound.bound,
    ...(cert.mechanism ? { mechanism: cert.mechanism } : {}),
  });
  return {
    bound,
    margin,
    sigma: cal.sigma,
    mechanism: cal.mechanism,
    mechanismDelta,
    lanczosIterations,
  };
};

// ---------------------------------------------------------------------------------------------
// Step 3: measure (private) and precheck (fail before the expensive solve)

interface Measured {
  readonly constants: MeasuredConstants;
  readonly startNorm: number;
  readonly gradientProxy: number;
}

const measure = async (
  engine: NumericEngine,
  req: CertifiedUnlearnRequest,
  prep: Prepared,
  cal: Calibration,
): Promise<Measured> => {
  const { start } = req;
  const tc = Date.now();
  const constants = await engine.measureConstants({
    arch: start.arch,
    params: start.params,
    retain: prep.retain,
    l2: start.recipe.l2,
    damping: req.newton.damping,
    settings: {
      method: 'lanczos',
      iterations: cal.lanczosIterations,
      ...(req.constantsSettings?.hessianSampleSize !== undefined
        ? { hessianSampleSize: req.constantsSettings.hessianSampleSize }
        : {}),
      seed: deriveSeed(prep.seed, 'constants'),
    },
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  });
  let gradientProxy = Math.max(constants.gradientNorm, start.trainingGradientNorm ?? 0);
  if (req.newton.form === 'converged') {
    // The n_u/(n−n_u) identity needs ∇L(start, D) = 0: G must bound how far it is.
    const full = await engine.gradient({
      arch: start.arch,
      l2: start.recipe.l2,
      params: start.params,
      data: req.data,
    });
    gradientProxy = Math.max(gradientProxy, norm2(full));
  }
  prep.timings['constants'] = Date.now() - tc;
  return { constants, startNorm: norm2(start.params), gradientProxy };
};

const checksOf = (m: Measured, residualNorm: number): CertificationChecks => ({
  ritz: { min: m.constants.lambdaMin, max: m.constants.lambdaMax },
  startNorm: m.startNorm,
  gradientProxy: m.gradientProxy,
  residualNorm,
});

const checkFailed = (failed: readonly string[]) =>
  new UnlearningError(
    UnlearningErrorCodes.CERTIFICATION_CHECK_FAILED,
    `private certification check failed: ${failed.join(', ')} (values stay private)`,
    { failed: [...failed] },
  );

/** Checks that need no solve; the residual is checked after it (0 here never fails). */
const precheck = (g: ReleaseGuarantee, m: Measured): void => {
  const failed = failedCertificationChecks(g.assumptions, checksOf(m, 0));
  if (failed.length > 0) throw checkFailed(failed);
};

// ---------------------------------------------------------------------------------------------
// Step 4: solve (the Newton step on the private start point)

interface Solved {
  readonly g: Float32Array;
  readonly x: Float32Array;
  readonly inverse: Omit<InverseHvpResult, 'solution'>;
  readonly chainParams: Float32Array;
  readonly stepNorm: number;
  readonly projected: boolean;
}

const solve = async (
  engine: NumericEngine,
  req: PaperExperimentRequest | CertifiedUnlearnRequest,
  prep: Prepared,
): Promise<Solved> => {
  const { start, newton } = req;
  const spec = { arch: start.arch, l2: start.recipe.l2 };
  const tg = Date.now();
  const g =
    newton.form === 'nonconvergence'
      ? await engine.gradient({ ...spec, params: start.params, data: prep.retain })
      : scale(
          await engine.gradient({ ...spec, params: start.params, data: prep.forget }),
          prep.nU / (prep.n - prep.nU),
        );
  prep.timings['gradient'] = Date.now() - tg;
  const certified = req.mode === 'certified';
  const method: InverseHvpMethod =
    newton.inverse.kind === 'lissa'
      ? {
          ...newton.inverse,
          settings: {
            ...newton.inverse.settings,
            seed: newton.inverse.settings.seed ?? deriveSeed(prep.seed, 'lissa'),
          },
        }
      : newton.inverse.kind === 'exact' && certified
        ? // No LU fallback when certifying: a Cholesky failure means no bound applies.
          { ...newton.inverse, allowIndefinite: false }
        : newton.inverse;
  const ti = Date.now();
  let solved: Awaited<ReturnType<NumericEngine['inverseHvp']>>;
  try {
    solved = await engine.inverseHvp({
      ...spec,
      params: start.params,
      vector: g,
      data: prep.retain,
      damping: newton.damping,
      method,
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (
      certified &&
      (code === EngineErrorCode.NotPositiveDefinite || code === EngineErrorCode.CgNegativeCurvature)
    ) {
      throw notCertifiable(
        `the damped Hessian H + λI is not positive definite (${String(code)}): no certified bound`,
        { cause: String(code) },
      );
    }
    throw e;
  }
  if (certified && solved.factorization === 'lu')
    throw notCertifiable('the exact solve fell back to LU (damped Hessian not positive definite)');
  prep.timings['inverseHvp'] = Date.now() - ti;
  const { vector: _v, gradientMs: _gm, solution: x, ...inverse } = solved;
  // nonconvergence: w~ = w − A⁻¹∇L(w, D_r); converged: w~ = w + A⁻¹(n_u/(n−n_u))∇L(w, D_u).
  const unprojected = axpy(start.params, newton.form === 'nonconvergence' ? -1 : 1, x);
  const project = newton.projectToBall ?? true;
  return {
    g,
    x,
    inverse,
    chainParams: project ? projectToBall(unprojected, start.recipe.C) : unprojected,
    stepNorm: norm2(x),
    projected: project && norm2(unprojected) > start.recipe.C,
  };
};

// ---------------------------------------------------------------------------------------------
// Step 5: the guarantee (certified: residual certificate + every private check + the gate)

/** ‖(H + λI)x − g‖ with one full-data HVP on D_r: certifies ‖x − (H+λI)⁻¹g‖ ≤ ‖r‖/(λ+λ_min). */
const residualNorm = async (
  engine: NumericEngine,
  req: CertifiedUnlearnRequest,
  prep: Prepared,
  s: Solved,
): Promise<number> => {
  const ax = await engine.hvp({
    arch: req.start.arch,
    l2: req.start.recipe.l2,
    params: req.start.params,
    data: prep.retain,
    damping: req.newton.damping,
    vector: s.x,
  });
  let sum = 0;
  for (let i = 0; i < ax.length; i++) {
    const r = (ax[i] as number) - (s.g[i] as number);
    sum += r * r;
  }
  return Math.sqrt(sum);
};

const certifiedRelease = (req: CertifiedUnlearnRequest, prep: Prepared, cal: Calibration) =>
  certifiedGuarantee(cal.bound, {
    epsilon: req.certification.epsilon,
    delta: req.certification.delta,
    mechanismDelta: cal.mechanismDelta,
    sigma: cal.sigma,
    mechanism: cal.mechanism,
    margin: cal.margin,
    p: prep.p,
    activation: activationOf(req.start.arch),
    method: methodOf(req.newton.inverse),
    solver: solverRecord(req.newton.inverse),
    ...(req.constantsSettings?.hessianSampleSize !== undefined &&
    req.constantsSettings.hessianSampleSize < datasetSize(prep.retain)
      ? { hessianSampleSize: req.constantsSettings.hessianSampleSize }
      : {}),
    statements: [
      `λ_min check: λ_min ≤ θ_min − m with θ the Ritz values of k = ${cal.lanczosIterations} ` +
        `Lanczos steps (random start) and m = ${cal.margin.factor.toPrecision(4)}·(θ_max − θ_min) ` +
        `(Kuczyński–Woźniakowski: fails with probability ≤ ρ = ${cal.margin.failureProbability}, ` +
        `added to δ; exact-arithmetic bound)`,
      `δ = ${cal.mechanismDelta} (Gaussian mechanism) + ${cal.margin.failureProbability} (spectrum check)`,
      ...(req.constantsSettings?.hessianSampleSize !== undefined &&
      req.constantsSettings.hessianSampleSize < datasetSize(prep.retain)
        ? [
            `the spectrum check ran on the Hessian of a seeded subsample of ` +
              `${req.constantsSettings.hessianSampleSize} rows of D_r: assumed to bound ∇²L(·, D_r)'s`,
          ]
        : []),
      'w~ projected onto the C-ball (never increases the distance to w~*)',
      'the pass/fail outcome of the private checks (≤ 1 bit per request) is not covered by (ε, δ)',
    ],
  });

// ---------------------------------------------------------------------------------------------
// Step 6: release

const release = async (
  engine: NumericEngine,
  req: PaperExperimentRequest | CertifiedUnlearnRequest,
  prep: Prepared,
  s: Solved,
  guarantee: ReleaseGuarantee,
  extra: Pick<UnlearnPrivate, 'checks' | 'constants'>,
): Promise<UnlearnOutcome> => {
  // Release noise from a CSPRNG (never seeded, never recorded): ADR 0004.
  const releasedParams = addReleaseNoise(s.chainParams, guarantee.sigma);
  const chainGradientResidualNorm = norm2(
    await engine.gradient({
      arch: req.start.arch,
      l2: req.start.recipe.l2,
      params: s.chainParams,
      data: prep.retain,
    }),
  );
  return {
    public: {
      mode: req.mode,
      method: methodOf(req.newton.inverse),
      released: { params: releasedParams, digest: modelDigest(req.start.arch, releasedParams) },
      remainingIds: prep.retain.ids,
      guarantee,
      n: prep.n,
      nU: prep.nU,
      seed: prep.seed,
      backend: engine.backend(),
    },
    private: {
      chainParams: s.chainParams,
      chainDigest: modelDigest(req.start.arch, s.chainParams),
      stepNorm: s.stepNorm,
      projected: s.projected,
      updateGradientNorm: norm2(s.g),
      chainGradientResidualNorm,
      noiseNorm: distance(releasedParams, s.chainParams),
      ...extra,
      inverse: s.inverse,
      timingsMs: { ...prep.timings, total: Date.now() - prep.t0 },
    },
  };
};

const retrain = async (
  engine: NumericEngine,
  req: ExactUnlearnRequest,
  prep: Prepared,
): Promise<UnlearnOutcome> => {
  const retrained = await retrainModel(engine, {
    arch: req.start.arch,
    retain: prep.retain,
    recipe: req.start.recipe,
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  });
  prep.timings['retrain'] = Date.now() - prep.t0;
  const guarantee = exactGuarantee(req.start.recipe);
  assertHonestGuarantee(guarantee);
  return {
    public: {
      mode: 'exact',
      method: 'retrain',
      released: { params: Float32Array.from(retrained.params), digest: retrained.digest },
      remainingIds: prep.retain.ids,
      guarantee,
      n: prep.n,
      nU: prep.nU,
      seed: prep.seed,
      backend: engine.backend(),
    },
    // After a retrain the chain state is the released model (depends on D_r only).
    private: {
      chainParams: retrained.params,
      chainDigest: retrained.digest,
      stepNorm: distance(retrained.params, req.start.params),
      projected: false,
      updateGradientNorm: 0,
      chainGradientResidualNorm: retrained.profile.finalGradNorm,
      noiseNorm: 0,
      timingsMs: { ...prep.timings, total: Date.now() - prep.t0 },
    },
  };
};

/**
 * One deletion request on one model (paper Algorithm 1), in named steps:
 * prepare → (certified: calibrate from settings → measure → precheck) → solve → guarantee → release.
 * - 'certified': Δ and σ from settings and stated assumptions only; the measured spectrum, start
 *   norm, gradient proxies and the solver residual are private pass/fail checks
 *   (CERTIFICATION_CHECK_FAILED names the failed checks, nothing else); the honesty gate
 *   `assertHonestGuarantee` runs on every certified result, with the private checks.
 * - 'exact': retrain from scratch on D_r with the same recipe and seed (ε = 0).
 * - 'paper-experiment': Newton step, σ given; guarantee 'none' (settings only).
 * `private.chainParams` is the noise-free state for the next request; only `public` may leave.
 */
export const unlearn = async (
  engine: NumericEngine,
  req: UnlearnRequest,
): Promise<UnlearnOutcome> => {
  const prep = prepare(req);
  if (req.mode === 'exact') return retrain(engine, req, prep);
  if (req.mode === 'paper-experiment') {
    const s = await solve(engine, req, prep);
    const guarantee = uncertifiedGuarantee({
      sigma: req.sigma,
      C: req.start.recipe.C,
      lambda: req.newton.damping,
      method: methodOf(req.newton.inverse),
      solver: solverRecord(req.newton.inverse),
    });
    assertHonestGuarantee(guarantee);
    return release(engine, req, prep, s, guarantee, {});
  }
  const cal = calibrate(req, prep);
  const guarantee = certifiedRelease(req, prep, cal);
  const measured = await measure(engine, req, prep, cal);
  precheck(guarantee, measured);
  const s = await solve(engine, req, prep);
  const checks = checksOf(measured, await residualNorm(engine, req, prep, s));
  const failed = failedCertificationChecks(guarantee.assumptions, checks);
  if (failed.length > 0) throw checkFailed(failed);
  assertHonestGuarantee(guarantee, checks);
  return release(engine, req, prep, s, guarantee, { checks, constants: measured.constants });
};
