import { selectIds, type Dataset } from './model/dataset';
import type { Architecture } from './model/architecture';
import { modelDigest } from './model/weights-codec';
import type { EngineTrainingProfile, TrainingRecipe } from './model/recipe';
import type { ProgressCallback } from './progress';
import { unlearningError, EngineErrorCode } from './errors';
import { isUnlearningError, UnlearningErrorCodes } from '../domain/errors';
import {
  cumulativeGuarantee,
  emptyLedger,
  recordRelease,
  resetLedger,
  type CumulativeGuarantee,
  type PrivacyBudget,
  type PrivacyLedger,
} from '../domain/privacy/accountant';
import {
  decideUnlearningAction,
  type UnlearningDecision,
} from '../domain/policy/unlearning-policy';
import { deriveSeed, type Seed } from '../domain/random';
import type { TrainedModel } from './trained-model';
import {
  publicOutcome,
  unlearn,
  type CertificationSettings,
  type NewtonSettings,
  type PublicUnlearnOutcome,
  type UnlearnOutcome,
  type UnlearningMode,
} from './unlearn';
import type { ReleaseGuarantee } from './guarantee';
import type { ConstantsSettings, NumericEngine } from './ports/numeric-engine';

/**
 * The PRIVATE state of one model's unlearning chain (paper Algorithm 2): the noise-free w~(k),
 * the remaining record ids D_r(k), the recipe, k, the previous release's digest and the privacy
 * ledger. It never holds a released (noised) model; it must never leave the worker's private store.
 */
export interface SequentialState {
  readonly arch: Architecture;
  readonly recipe: Required<TrainingRecipe>;
  /** Profile of the original training, or of the latest retrain from scratch. */
  readonly profile: EngineTrainingProfile;
  /** Noise-free chain parameters w~(k) (w* at k = 0). */
  readonly chainParams: Float32Array;
  readonly chainDigest: string;
  /** How the chain state was produced. */
  readonly chainOrigin: 'trained' | 'newton' | 'retrain';
  readonly remainingIds: readonly string[];
  /** Number of requests served (released) so far. */
  readonly k: number;
  readonly previousReleaseDigest: string | null;
  readonly ledger: PrivacyLedger;
}

/** The model's unlearning policy (per-release target, cumulative budget, accuracy floor…). */
export interface SequentialPolicy {
  readonly mode: UnlearningMode;
  /** Per-release (ε, δ) (certified). */
  readonly target?: { readonly epsilon: number; readonly delta: number };
  /** Cumulative budget of one chain (reset by a retrain). */
  readonly cumulativeBudget?: PrivacyBudget;
  /** Minimum accuracy of the released model on the validation set. */
  readonly accuracyFloor?: number;
  readonly maxSigma?: number;
  readonly retrainAllowed: boolean;
}

export interface SequentialSettings {
  readonly newton: NewtonSettings;
  /** M, ρ, mechanism…; ε/δ come from the policy's target. */
  readonly certification?: Omit<CertificationSettings, 'epsilon' | 'delta'>;
  /** paper-experiment σ. */
  readonly sigma?: number;
  readonly constantsSettings?: Omit<ConstantsSettings, 'seed'>;
}

export interface SequentialStep {
  /**
   * The next PRIVATE state (unchanged for needs-retrain): store it in the private store, never
   * publish it. Everything else in the step is public.
   */
  readonly state: SequentialState;
  readonly decision: UnlearningDecision;
  /** What may be published; null when the request is parked (needs-retrain). */
  readonly release: { readonly params: Float32Array; readonly digest: string } | null;
  readonly guarantee: ReleaseGuarantee | null;
  readonly cumulative: CumulativeGuarantee;
  /** The public part of the outcome (no noise-free value; see UnlearnPrivate). */
  readonly outcome: PublicUnlearnOutcome | null;
  /** The Newton attempt that the policy refused, if any (for diagnostics; never released). */
  readonly refused?: { readonly guarantee: ReleaseGuarantee | null; readonly reason: string };
  /** Accuracy of the candidate release on the validation set, when measured. */
  readonly validationAccuracy?: number;
}

/** Starts a chain from a model Lethe trained on `trainIds`. */
export const startSequentialChain = (
  model: TrainedModel,
  trainIds: readonly string[],
): SequentialState => ({
  arch: model.arch,
  recipe: model.profile.recipe,
  profile: model.profile,
  chainParams: Float32Array.from(model.params),
  chainDigest: model.digest,
  chainOrigin: 'trained',
  remainingIds: [...trainIds],
  k: 0,
  previousReleaseDigest: null,
  ledger: emptyLedger,
});

/**
 * Serves one deletion request on the chain: the policy decides newton vs retrain vs needs-retrain
 * (with reasons); newton continues from the noise-free state and gets fresh noise; retrain resets
 * the chain and the ledger. `dataset` must contain every id of `state.remainingIds`.
 */
export const processDeletionRequest = async (
  engine: NumericEngine,
  opts: {
    state: SequentialState;
    dataset: Dataset;
    forgetIds: readonly string[];
    policy: SequentialPolicy;
    settings: SequentialSettings;
    /** For the accuracy floor (released model's accuracy); required when a floor is set. */
    validation?: Dataset;
    seed: Seed;
    onProgress?: ProgressCallback;
  },
): Promise<SequentialStep> => {
  const { state, policy } = opts;
  if (policy.mode === 'certified' && (!policy.target || !opts.settings.certification)) {
    throw unlearningError(
      EngineErrorCode.InvalidSettings,
      'certified mode needs policy.target and settings.certification',
      {},
      'validation',
    );
  }
  if (policy.mode === 'paper-experiment' && opts.settings.sigma === undefined) {
    throw unlearningError(
      EngineErrorCode.InvalidSettings,
      'paper-experiment needs settings.sigma',
      {},
      'validation',
    );
  }
  if (policy.accuracyFloor !== undefined && !opts.validation && policy.mode === 'certified') {
    throw unlearningError(
      EngineErrorCode.InvalidSettings,
      'an accuracy floor needs a validation set',
      {},
      'validation',
    );
  }
  const k = state.k + 1;
  const seed = deriveSeed(opts.seed, 'request', k);
  const data = selectIds(opts.dataset, state.remainingIds, `${opts.dataset.name}/r${state.k}`);
  const start = {
    arch: state.arch,
    params: state.chainParams,
    recipe: state.recipe,
    trainingGradientNorm: state.profile.finalGradNorm,
  };
  const progress = opts.onProgress ? { onProgress: opts.onProgress } : {};

  let candidate: UnlearnOutcome | null = null;
  let notCertifiable: string | undefined;
  let validationAccuracy: number | undefined;
  if (policy.mode !== 'exact') {
    try {
      candidate = await unlearn(engine, {
        start,
        data,
        forgetIds: opts.forgetIds,
        mode: policy.mode,
        newton: opts.settings.newton,
        ...(policy.mode === 'certified'
          ? {
              certification: {
                ...(opts.settings.certification as Omit<
                  CertificationSettings,
                  'epsilon' | 'delta'
                >),
                epsilon: (policy.target as { epsilon: number }).epsilon,
                delta: (policy.target as { delta: number }).delta,
              },
            }
          : { sigma: opts.settings.sigma }),
        ...(opts.settings.constantsSettings
          ? { constantsSettings: opts.settings.constantsSettings }
          : {}),
        seed,
        ...progress,
      });
    } catch (e) {
      const certifiableFailure =
        policy.mode === 'certified' &&
        (isUnlearningError(e, UnlearningErrorCodes.BOUND_INVALID_INPUT) ||
          isUnlearningError(e, UnlearningErrorCodes.LISSA_DIVERGED) ||
          isUnlearningError(e, UnlearningErrorCodes.PRIVACY_INVALID_PARAMS));
      if (!certifiableFailure) throw e;
      notCertifiable = `${(e as { code: string }).code}: ${(e as Error).message}`;
    }
    if (candidate && policy.accuracyFloor !== undefined && opts.validation) {
      validationAccuracy = engine.evaluate(
        state.arch,
        candidate.released.params,
        opts.validation,
      ).accuracy;
    }
  }

  const g = candidate?.guarantee;
  const decision = decideUnlearningAction({
    mode: policy.mode,
    target: policy.target ?? { epsilon: 1, delta: 1e-5 },
    // Placeholders when no bound exists: the decision is then blocked by `certifiable: false`, and
    // a negligible sensitivity keeps the budget check from adding a misleading reason.
    sigma: g && g.sigma > 0 ? g.sigma : 1,
    sensitivity: g?.bound && g.bound > 0 ? g.bound : 1e-12,
    ...(policy.accuracyFloor !== undefined ? { accuracyFloor: policy.accuracyFloor } : {}),
    ...(validationAccuracy !== undefined ? { predictedAccuracyWithNoise: validationAccuracy } : {}),
    ...(policy.maxSigma !== undefined ? { maxSigma: policy.maxSigma } : {}),
    cumulativeBudget: policy.cumulativeBudget ?? { epsilon: Number.MAX_VALUE, delta: 0.999999 },
    spent: state.ledger,
    retrainAllowed: policy.retrainAllowed,
    certifiable: policy.mode !== 'certified' || candidate !== null,
    ...(notCertifiable ? { notCertifiableReason: notCertifiable } : {}),
  });

  const base = {
    decision,
    ...(validationAccuracy !== undefined ? { validationAccuracy } : {}),
  };
  if (decision.action === 'needs-retrain') {
    return {
      ...base,
      state,
      release: null,
      guarantee: null,
      cumulative: cumulativeGuarantee(state.ledger),
      outcome: null,
      refused: { guarantee: g ?? null, reason: decision.reasons.join('; ') },
    };
  }

  if (decision.action === 'retrain') {
    const exact = await unlearn(engine, {
      start,
      data,
      forgetIds: opts.forgetIds,
      mode: 'exact',
      seed,
      ...progress,
    });
    const ledger = resetLedger();
    return {
      ...base,
      state: {
        arch: state.arch,
        recipe: state.recipe,
        profile: state.profile,
        chainParams: Float32Array.from(exact.private.chainParams),
        chainDigest: exact.private.chainDigest,
        chainOrigin: 'retrain',
        remainingIds: exact.remainingIds,
        k,
        previousReleaseDigest: exact.released.digest,
        ledger,
      },
      release: exact.released,
      guarantee: exact.guarantee,
      cumulative: cumulativeGuarantee(ledger),
      outcome: publicOutcome(exact),
      ...(candidate
        ? { refused: { guarantee: candidate.guarantee, reason: decision.reasons.join('; ') } }
        : {}),
    };
  }

  const out = candidate as UnlearnOutcome;
  const ledger =
    out.guarantee.type === 'certified'
      ? recordRelease(state.ledger, {
          kind: 'gaussian',
          sigma: out.guarantee.sigma,
          sensitivity: out.guarantee.bound as number,
          epsilon: out.guarantee.epsilon as number,
          delta: out.guarantee.delta as number,
        })
      : state.ledger;
  return {
    ...base,
    state: {
      arch: state.arch,
      recipe: state.recipe,
      profile: state.profile,
      chainParams: out.private.chainParams,
      chainDigest: out.private.chainDigest,
      chainOrigin: 'newton',
      remainingIds: out.remainingIds,
      k,
      previousReleaseDigest: out.released.digest,
      ledger,
    },
    release: out.released,
    guarantee: out.guarantee,
    cumulative: cumulativeGuarantee(ledger),
    outcome: publicOutcome(out),
  };
};

/** Digest of the chain state's parameters (to check it against a stored copy). */
export const chainStateDigest = (s: SequentialState): string => modelDigest(s.arch, s.chainParams);
