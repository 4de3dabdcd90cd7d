import { datasetSize, rowsOfIds, selectIds, withoutIds, type Dataset } from './model/dataset';
import { parameterCount, type Architecture } from './model/architecture';
import { axpy, distance, norm2, projectToBall, scale } from './model/flat-vector';
import { addReleaseNoise } from './model/noise';
import { modelDigest } from './model/weights-codec';
import type { TrainingRecipe } from './model/recipe';
import { unlearningError, EngineErrorCode } from './errors';
import type { ProgressCallback } from './progress';
import { certifiedBound, type LissaErrorForm } from '../domain/bound/certified-bound';
import { calibrateSigma, type MechanismPolicy } from '../domain/privacy/gaussian-mechanism';
import { deriveSeed, type Seed } from '../domain/random';
import { UnlearningError, UnlearningErrorCodes } from '../domain/errors';
import type { UnlearningMode } from '../domain/model/unlearning-mode';
import type {
  ConstantsSettings,
  InverseHvpMethod,
  InverseHvpResult,
  MeasuredConstants,
  NumericEngine,
} from './ports/numeric-engine';
import { retrainModel } from './trained-model';
import { boundGuarantee, exactGuarantee, type ReleaseGuarantee } from './guarantee';

export type { UnlearningMode };
export type UpdateForm = 'nonconvergence' | 'converged';
export type UnlearningMethod = 'newton-lissa' | 'newton-exact' | 'newton-cg' | 'retrain';

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
   * the retrained model, which lies in the ball; research/paper.md §2.5). Default true.
   */
  readonly projectToBall?: boolean;
}

export interface CertificationSettings {
  readonly epsilon: number;
  readonly delta: number;
  /** Hessian-Lipschitz constant: always an assumption. */
  readonly M: number;
  /** LiSSA failure probability (LiSSA only), default 0.1. */
  readonly rho?: number;
  readonly lissaErrorForm?: LissaErrorForm;
  readonly mechanism?: MechanismPolicy;
  /** Override G (then listed as assumed, not measured). */
  readonly G?: number;
  /**
   * Safety margin on the spectrum estimates (Ritz values lie inside the spectrum): the bound uses
   * λ_min − m and λ_max + m with m = spectrumMargin·max(1, |λ_max|). Default 0.05.
   */
  readonly spectrumMargin?: number;
}

/** The model a request starts from: w* for the first request, the noise-free chain state after. */
export interface StartPoint {
  readonly arch: Architecture;
  readonly params: Float32Array;
  /** The training recipe (C, l2, … and, for retraining, everything else). */
  readonly recipe: TrainingRecipe;
  /** ||∇L(w*, D)|| at the end of training (from the profile), used in the G proxy. */
  readonly trainingGradientNorm?: number;
}

export interface UnlearnRequest {
  readonly start: StartPoint;
  /** D before this request (D_r(k−1)); D_u ⊂ D. */
  readonly data: Dataset;
  readonly forgetIds: readonly string[];
  readonly mode: UnlearningMode;
  /** Required for 'certified' and 'paper-experiment'. */
  readonly newton?: NewtonSettings;
  /** Required for 'certified'. */
  readonly certification?: CertificationSettings;
  /** 'paper-experiment': the noise std, given directly (repo: 1e-3). */
  readonly sigma?: number;
  /** Seed of the constants' random starts and of the LiSSA minibatches (NOT of the release noise). */
  readonly seed: Seed;
  /** Pre-measured constants at the start point on D_r, else measured (certified) with these settings. */
  readonly constants?: MeasuredConstants;
  readonly constantsSettings?: Omit<ConstantsSettings, 'seed'>;
  /** Measure constants also in paper-experiment mode (informational bound). Default false. */
  readonly measureInPaperMode?: boolean;
  readonly onProgress?: ProgressCallback;
}

/** Diagnostics that may leave the worker (computed from the release, not from the chain state). */
export interface UnlearnDiagnostics {
  readonly n: number;
  readonly nU: number;
  /** ||g|| of the vector the inverse-HVP is applied to (scaled by n_u/(n−n_u) in converged form). */
  readonly updateGradientNorm: number;
  readonly projected: boolean;
  /** ||∇L(release, D_r)|| at the RELEASED parameters (L2 included); for the certificate's evidence. */
  readonly gradientResidualNorm: number;
  readonly inverse?: Omit<InverseHvpResult, 'solution'>;
  readonly constants?: MeasuredConstants;
  readonly timingsMs: Readonly<Record<string, number>>;
}

/**
 * PRIVATE values derived from the noise-free chain state w~. They go into the sequential private
 * state/store only; never into a certificate, a log, a Kafka message or a public result (DESIGN.md
 * invariant 4): with them, the release noise could be subtracted or narrowed down.
 */
export interface UnlearnPrivate {
  /** The noise-free w~ (Newton) or the retrained model (exact). */
  readonly chainParams: Float32Array;
  readonly chainDigest: string;
  /** ||w~ − start|| before projection. */
  readonly stepNorm: number;
  /** ||∇L(w~, D_r)|| at the noise-free update (L2 included). */
  readonly chainGradientResidualNorm: number;
  /** ||release − w~|| (the drawn noise's norm). */
  readonly noiseNorm: number;
}

/** What may leave the worker: the release, its guarantee and public diagnostics. */
export interface PublicUnlearnOutcome {
  readonly mode: UnlearningMode;
  readonly method: UnlearningMethod;
  /** w~ + N(0, σ²I) (noise from a CSPRNG, never seeded), or the retrained model (exact). */
  readonly released: { readonly params: Float32Array; readonly digest: string };
  readonly remainingIds: readonly string[];
  readonly guarantee: ReleaseGuarantee;
  readonly diagnostics: UnlearnDiagnostics;
  /**
   * The request seed (constants' random starts, LiSSA minibatches). It does NOT determine the
   * release noise, which comes from a CSPRNG and has no seed.
   */
  readonly seed: string;
  readonly backend: string;
}

export interface UnlearnOutcome extends PublicUnlearnOutcome {
  /** PRIVATE: keep in the private chain store only; strip with `publicOutcome` before anything leaves. */
  readonly private: UnlearnPrivate;
}

/** The outcome without its private part (a new object; nothing noise-free is reachable from it). */
export const publicOutcome = (o: UnlearnOutcome): PublicUnlearnOutcome => {
  const { private: _private, ...pub } = o;
  return pub;
};

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  unlearningError(EngineErrorCode.InvalidSettings, message, details, 'validation');

/** Default margin on the spectrum estimates, as a fraction of max(1, |θ_max|) (ADR 0004). */
export const DEFAULT_SPECTRUM_MARGIN = 0.05;

interface WidenedSpectrum {
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  readonly m: number;
}

/** λ_min = θ_min − m, λ_max = θ_max + m with m = margin·max(1, |θ_max|). */
export const widenSpectrum = (
  c: Pick<MeasuredConstants, 'lambdaMin' | 'lambdaMax'>,
  margin: number,
): WidenedSpectrum => {
  const m = margin * Math.max(1, Math.abs(c.lambdaMax));
  return { lambdaMin: c.lambdaMin - m, lambdaMax: c.lambdaMax + m, m };
};

/**
 * Caller-supplied constants must have been measured at this start point, on this D_r, with this
 * damping: a spectrum of another parameter vector says nothing about this step.
 */
const checkSuppliedConstants = (
  c: MeasuredConstants,
  start: StartPoint,
  damping: number,
  retain: Dataset,
): void => {
  const norm = norm2(start.params);
  const details = { damping, constantsDamping: c.damping, parameterNorm: norm };
  if (Math.abs(c.damping - damping) > 1e-12 * Math.max(1, Math.abs(damping)))
    throw invalid('constants were measured with another damping λ', details);
  if (c.parameterDigest !== undefined) {
    if (c.parameterDigest !== modelDigest(start.arch, start.params))
      throw invalid(
        'constants were measured at another parameter vector (digest differs)',
        details,
      );
  } else if (Math.abs(c.parameterNorm - norm) > 1e-6 * Math.max(1, norm)) {
    throw invalid('constants were measured at another parameter vector (norm differs)', {
      ...details,
      constantsParameterNorm: c.parameterNorm,
    });
  }
  if (c.retainSize !== undefined && c.retainSize !== datasetSize(retain))
    throw invalid('constants were measured on another remaining set D_r', {
      retainSize: datasetSize(retain),
      constantsRetainSize: c.retainSize,
    });
};

const methodOf = (m: InverseHvpMethod): UnlearningMethod =>
  m.kind === 'lissa' ? 'newton-lissa' : m.kind === 'exact' ? 'newton-exact' : 'newton-cg';

/**
 * One deletion request on one model (paper Algorithm 1; research/paper.md §2.6):
 * - 'certified': Newton step with the damped Hessian, Δ from the certified bound (domain), σ from
 *   (ε, δ, Δ), release = w~ + N(0, σ²I).
 * - 'exact': retrain from scratch on D_r with the same recipe and seed (ε = 0).
 * - 'paper-experiment': Newton step, σ given; guarantee 'none'.
 * The returned `private.chainParams` are the private noise-free state for the next request;
 * `publicOutcome` strips them.
 */
export const unlearn = async (
  engine: NumericEngine,
  req: UnlearnRequest,
): Promise<UnlearnOutcome> => {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const { start, data } = req;
  const p = parameterCount(start.arch);
  if (start.params.length !== p) throw invalid('start parameters do not fit the architecture');
  const uniqueForget = [...new Set(req.forgetIds)];
  if (uniqueForget.length === 0) throw invalid('forgetIds is empty');
  rowsOfIds(data, uniqueForget); // throws UNKNOWN_RECORDS for ids not in D
  const n = datasetSize(data);
  const nU = uniqueForget.length;
  if (nU >= n) throw invalid('cannot forget every record (D_r would be empty)', { n, nU });
  const retain = withoutIds(data, uniqueForget, `${data.name}/retain`);
  const forget = selectIds(data, uniqueForget, `${data.name}/forget`);
  const seed = String(req.seed);

  if (req.mode === 'exact') {
    const retrained = await retrainModel(engine, {
      arch: start.arch,
      retain,
      recipe: start.recipe,
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    });
    timings['retrain'] = Date.now() - t0;
    return {
      mode: 'exact',
      method: 'retrain',
      released: { params: Float32Array.from(retrained.params), digest: retrained.digest },
      remainingIds: retain.ids,
      guarantee: exactGuarantee(start.recipe),
      diagnostics: {
        n,
        nU,
        updateGradientNorm: 0,
        projected: false,
        gradientResidualNorm: retrained.profile.finalGradNorm,
        timingsMs: { ...timings, total: Date.now() - t0 },
      },
      seed,
      backend: engine.backend(),
      // After a retrain the chain state is the released model (depends on D_r only).
      private: {
        chainParams: retrained.params,
        chainDigest: retrained.digest,
        stepNorm: distance(retrained.params, start.params),
        chainGradientResidualNorm: retrained.profile.finalGradNorm,
        noiseNorm: 0,
      },
    };
  }

  const newton = req.newton;
  if (!newton) throw invalid(`mode '${req.mode}' needs newton settings`);
  if (req.mode === 'certified' && !req.certification)
    throw invalid("mode 'certified' needs certification settings");
  if (
    req.mode === 'paper-experiment' &&
    !(req.sigma !== undefined && req.sigma > 0 && Number.isFinite(req.sigma))
  ) {
    // σ = 0 would release the private noise-free state (DESIGN.md invariant 4).
    throw invalid("mode 'paper-experiment' needs sigma > 0");
  }
  const recipe = start.recipe;
  const startNorm = norm2(start.params);

  // Constants at the start point on D_r (certified; optional otherwise).
  let constants = req.constants;
  if (constants) checkSuppliedConstants(constants, start, newton.damping, retain);
  if (!constants && (req.mode === 'certified' || req.measureInPaperMode)) {
    const tc = Date.now();
    constants = await engine.measureConstants({
      arch: start.arch,
      params: start.params,
      retain,
      l2: recipe.l2,
      damping: newton.damping,
      settings: { ...(req.constantsSettings ?? {}), seed: deriveSeed(seed, 'constants') },
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    });
    timings['constants'] = Date.now() - tc;
  }
  // Ritz values are inner estimates (θ_min ≥ λ_min, θ_max ≤ λ_max): widen them by a margin.
  const margin = req.certification?.spectrumMargin ?? DEFAULT_SPECTRUM_MARGIN;
  if (!(margin >= 0) || !Number.isFinite(margin))
    throw invalid('spectrumMargin must be a finite number >= 0', { margin });
  const spectrum = constants ? widenSpectrum(constants, margin) : undefined;

  const objectiveSpec = { arch: start.arch, l2: recipe.l2 };
  // Converged form: the n_u/(n−n_u) identity needs ∇L(start, D) = 0; measure how far it is.
  let fullGradNorm: number | undefined;
  if (newton.form === 'converged' && constants) {
    const tf = Date.now();
    fullGradNorm = norm2(await engine.gradient({ ...objectiveSpec, params: start.params, data }));
    timings['fullGradient'] = Date.now() - tf;
  }

  if (req.mode === 'certified' && constants && spectrum) {
    // Fail fast (before the expensive inverse-HVP) when no certified bound can exist:
    // λ + λ_min <= 0, or a LiSSA scale H below λ_max + λ or below a measured minibatch λ_max.
    // Throws BOUND_INVALID_INPUT.
    const cert = req.certification as CertificationSettings;
    if (
      newton.inverse.kind === 'lissa' &&
      constants.minibatchLambdaMax !== undefined &&
      newton.inverse.settings.scale < constants.minibatchLambdaMax
    ) {
      throw new UnlearningError(
        UnlearningErrorCodes.BOUND_INVALID_INPUT,
        'LiSSA scale H is below the measured λ_max of a damped minibatch Hessian: the assumption ' +
          '"H dominates every damped minibatch Hessian" is violated',
        { H: newton.inverse.settings.scale, minibatchLambdaMax: constants.minibatchLambdaMax },
      );
    }
    certifiedBound({
      C: recipe.C,
      lambda: newton.damping,
      M: cert.M,
      lambdaMin: spectrum.lambdaMin,
      lambdaMax: spectrum.lambdaMax,
      G: cert.G ?? Math.max(constants.gradientNorm, start.trainingGradientNorm ?? 0),
      p,
      n,
      nU,
      form: newton.form,
      ...(fullGradNorm !== undefined ? { fullGradNorm } : {}),
      ...(newton.inverse.kind === 'lissa'
        ? {
            lissa: {
              S: newton.inverse.settings.chains,
              s: newton.inverse.settings.depth,
              H: newton.inverse.settings.scale,
              b: newton.inverse.settings.batchSize,
              rho: cert.rho ?? 0.1,
            },
          }
        : {}),
      startNorm,
    });
  }

  const tg = Date.now();
  const g =
    newton.form === 'nonconvergence'
      ? await engine.gradient({ ...objectiveSpec, params: start.params, data: retain })
      : scale(
          await engine.gradient({ ...objectiveSpec, params: start.params, data: forget }),
          nU / (n - nU),
        );
  timings['gradient'] = Date.now() - tg;
  const ti = Date.now();
  const certified = req.mode === 'certified';
  const method: InverseHvpMethod =
    newton.inverse.kind === 'lissa'
      ? {
          ...newton.inverse,
          settings: {
            ...newton.inverse.settings,
            seed: newton.inverse.settings.seed ?? deriveSeed(seed, 'lissa'),
          },
        }
      : newton.inverse.kind === 'exact' && certified
        ? // No LU fallback when certifying: a Cholesky failure means no bound applies.
          { ...newton.inverse, allowIndefinite: false }
        : newton.inverse;
  let solved: Awaited<ReturnType<NumericEngine['inverseHvp']>>;
  try {
    solved = await engine.inverseHvp({
      ...objectiveSpec,
      params: start.params,
      vector: g,
      data: retain,
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
      throw new UnlearningError(
        UnlearningErrorCodes.BOUND_INVALID_INPUT,
        `the damped Hessian H + λI is not positive definite (${String(code)}): no certified bound`,
        { damping: newton.damping, cause: String(code) },
      );
    }
    throw e;
  }
  if (certified && solved.factorization === 'lu') {
    throw new UnlearningError(
      UnlearningErrorCodes.BOUND_INVALID_INPUT,
      'the exact solve fell back to LU (damped Hessian not positive definite): no certified bound',
      { damping: newton.damping },
    );
  }
  const { vector: _v, gradientMs: _gm, ...inv } = solved;
  timings['inverseHvp'] = Date.now() - ti;
  // nonconvergence: w~ = w − A⁻¹∇L(w, D_r); converged: w~ = w + A⁻¹(n_u/(n−n_u))∇L(w, D_u).
  const step = inv.solution;
  const sign = newton.form === 'nonconvergence' ? -1 : 1;
  const unprojected = axpy(start.params, sign, step);
  const stepNorm = norm2(step);
  const project = newton.projectToBall ?? true;
  const chainParams = project ? projectToBall(unprojected, recipe.C) : unprojected;
  const projected = project && norm2(unprojected) > recipe.C;
  const updateGradientNorm = norm2(g);
  const chainGradientResidualNorm = norm2(
    await engine.gradient({ ...objectiveSpec, params: chainParams, data: retain }),
  );

  // Guarantee and noise.
  let guarantee: ReleaseGuarantee;
  let sigma: number;
  const settingsNames = ['C', 'lambda'];
  if (newton.inverse.kind === 'lissa') settingsNames.push('H', 's', 'S', 'b', 'rho');
  const lissaBound =
    newton.inverse.kind === 'lissa'
      ? {
          S: newton.inverse.settings.chains,
          s: newton.inverse.settings.depth,
          H: newton.inverse.settings.scale,
          b: newton.inverse.settings.batchSize,
          rho: req.certification?.rho ?? 0.1,
          ...(req.certification?.lissaErrorForm
            ? { errorForm: req.certification.lissaErrorForm }
            : {}),
        }
      : undefined;
  const boundFor = (M: number, G: number) =>
    certifiedBound({
      C: recipe.C,
      lambda: newton.damping,
      M,
      lambdaMin: (spectrum as WidenedSpectrum).lambdaMin,
      lambdaMax: (spectrum as WidenedSpectrum).lambdaMax,
      G,
      p,
      n,
      nU,
      form: newton.form,
      ...(lissaBound ? { lissa: lissaBound } : {}),
      updateGradNorm: updateGradientNorm,
      ...(fullGradNorm !== undefined ? { fullGradNorm } : {}),
      startNorm,
    });
  const solverTerm =
    inv.residualNorm !== undefined && spectrum
      ? inv.residualNorm / (newton.damping + spectrum.lambdaMin)
      : undefined;
  const measuredG = constants
    ? Math.max(constants.gradientNorm, start.trainingGradientNorm ?? 0)
    : undefined;
  const subsampled =
    constants !== undefined && constants.hessianSampleSize < datasetSize(retain)
      ? constants.hessianSampleSize
      : undefined;
  if (req.mode === 'certified') {
    const cert = req.certification as CertificationSettings;
    const c = constants as MeasuredConstants;
    const sp = spectrum as WidenedSpectrum;
    const G = cert.G ?? measuredG;
    if (G === undefined) throw invalid('certified mode needs measured constants or G');
    const b = boundFor(cert.M, G);
    const delta = b.bound + (solverTerm ?? 0);
    const cal = calibrateSigma({
      epsilon: cert.epsilon,
      delta: cert.delta,
      sensitivity: delta,
      ...(cert.mechanism ? { mechanism: cert.mechanism } : {}),
    });
    sigma = cal.sigma;
    const how =
      c.method === 'lanczos' ? 'Lanczos Ritz values' : 'power-iteration Rayleigh quotients';
    guarantee = boundGuarantee(b, {
      type: 'certified',
      epsilon: cert.epsilon,
      delta: cert.delta,
      sigma,
      mechanism: cal.mechanism,
      ...(solverTerm !== undefined ? { solverTerm } : {}),
      extraValues: {
        startNorm,
        lambdaMinRitz: c.lambdaMin,
        lambdaMaxRitz: c.lambdaMax,
        spectrumMargin: margin,
        ...(fullGradNorm !== undefined ? { fullGradNorm } : {}),
        ...(subsampled !== undefined ? { hessianSampleSize: subsampled } : {}),
      },
      measured: [
        'lambdaMinRitz',
        'lambdaMaxRitz',
        'startNorm',
        ...(b.constants.gradNormForLissa !== undefined ? ['gradNormForLissa'] : []),
        ...(fullGradNorm !== undefined ? ['fullGradNorm'] : []),
      ],
      // ADR 0004: M always assumed; G stands for ‖∇L(w~*, D_r)‖ (only a proxy is measurable);
      // λ_min/λ_max are estimates widened by a margin (the margin covering the error is assumed);
      // L only when the bound used it (local spectral norm at the start point).
      assumed: ['M', 'G', 'lambdaMin', 'lambdaMax', ...(b.usesL ? ['L'] : [])],
      settings: [...settingsNames, 'spectrumMargin'],
      statements: [
        cert.G === undefined
          ? 'G taken as max(‖∇L(w, D_r)‖ at the start point, ‖∇L(w*, D)‖ at the end of training): a measured proxy for ‖∇L(w~*, D_r)‖'
          : 'G given by the operator',
        `λ_min/λ_max are ${how} (inner estimates: θ_min ≥ λ_min, θ_max ≤ λ_max) of the Hessian, ` +
          `widened by the margin m = ${margin}·max(1, |θ_max|) = ${sp.m}: λ_min = θ_min − m, ` +
          'λ_max = θ_max + m; that m covers the estimation error is an assumption, not proven',
        ...(subsampled !== undefined
          ? [
              `λ_min/λ_max were computed on the Hessian of a seeded subsample of ${subsampled} of the ` +
                `${datasetSize(retain)} rows of D_r, not on ∇²L(·, D_r): assumed to bound its spectrum`,
            ]
          : []),
        ...(c.minibatchLambdaMax !== undefined
          ? [
              `LiSSA scale H checked against the largest measured damped minibatch λ_max (${c.minibatchLambdaMax}, a sample of minibatches)`,
            ]
          : []),
        ...(project
          ? ['w~ projected onto the C-ball (derived; never increases the distance to w~*)']
          : []),
      ],
    });
  } else {
    sigma = req.sigma as number;
    guarantee = {
      type: 'none',
      epsilon: null,
      delta: null,
      sigma,
      bound: null,
      assumptions: {
        C: recipe.C,
        lambda: newton.damping,
        ...(constants
          ? {
              lambdaMin: constants.lambdaMin,
              lambdaMax: constants.lambdaMax,
              G: measuredG as number,
            }
          : {}),
      },
      measured: constants ? ['lambdaMin', 'lambdaMax'] : [],
      assumed: constants ? ['G'] : [],
      settings: [...settingsNames, 'sigma'],
      statements: [
        'paper-experiment mode: σ set directly, no (ε, δ) claim',
        ...(constants
          ? ['λ_min/λ_max: raw spectrum estimates (informational; no bound rests on them)']
          : []),
      ],
    };
  }

  // Release noise from a CSPRNG (never seeded, never recorded): ADR 0004.
  const releasedParams = addReleaseNoise(chainParams, sigma);
  const gradientResidualNorm = norm2(
    await engine.gradient({ ...objectiveSpec, params: releasedParams, data: retain }),
  );
  const { solution: _s, ...invDiag } = inv;
  return {
    mode: req.mode,
    method: methodOf(newton.inverse),
    released: { params: releasedParams, digest: modelDigest(start.arch, releasedParams) },
    remainingIds: retain.ids,
    guarantee,
    diagnostics: {
      n,
      nU,
      updateGradientNorm,
      projected,
      gradientResidualNorm,
      inverse: invDiag,
      ...(constants ? { constants } : {}),
      timingsMs: { ...timings, total: Date.now() - t0 },
    },
    seed,
    backend: engine.backend(),
    private: {
      chainParams,
      chainDigest: modelDigest(start.arch, chainParams),
      stepNorm,
      chainGradientResidualNorm,
      noiseNorm: distance(releasedParams, chainParams),
    },
  };
};
