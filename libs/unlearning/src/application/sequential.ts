import { selectIds, type Dataset } from './model/dataset';
import { projectToBall } from './model/flat-vector';
import { modelDigest } from './model/weights-codec';
import type { ProgressCallback } from './progress';
import {
  UNLIMITED_BUDGET,
  candidateAccuracy,
  concludeStep,
  requireValidationForFloor,
} from './chain-step';
import type { SequentialState, SequentialStep } from './chain-step';
import { isUnlearningError, UnlearningErrorCodes } from '../domain/errors';
import { emptyLedger, type PrivacyBudget, type PrivacyLedger } from '../domain/privacy/accountant';
import {
  decideUnlearningAction,
  type UnlearningDecision,
} from '../domain/policy/unlearning-policy';
import { deriveSeed, type Seed } from '../domain/random';
import type { TrainedModel } from './trained-model';
import type { NumericEngine } from './ports/numeric-engine';
import {
  unlearn,
  type CertificationSettings,
  type CertifiedUnlearnRequest,
  type NewtonSettings,
  type StartPoint,
  type UnlearnOutcome,
} from './unlearn';

export type {
  PrivateStep,
  PublicReasonCode,
  PublicStep,
  SequentialState,
  SequentialStep,
} from './chain-step';

/** Retrain from scratch for every request (ε = 0). */
export interface ExactPolicy {
  readonly mode: 'exact';
}

/** The paper's fixed σ; every release poisons the ledger (no finite cumulative ε afterwards). */
export interface PaperExperimentPolicy {
  readonly mode: 'paper-experiment';
  readonly newton: NewtonSettings;
  readonly sigma: number;
}

/** Certified Newton steps within a per-release target, a cumulative budget and an accuracy floor. */
export interface CertifiedPolicy {
  readonly mode: 'certified';
  readonly newton: NewtonSettings;
  /** M, λ_min, G, τ…: settings and assumptions; (ε, δ) come from `target`. */
  readonly certification: Omit<CertificationSettings, 'epsilon' | 'delta'>;
  readonly constantsSettings?: CertifiedUnlearnRequest['constantsSettings'];
  /** Per-release (ε, δ). */
  readonly target: { readonly epsilon: number; readonly delta: number };
  /** Cumulative budget of one chain (reset by a retrain). */
  readonly cumulativeBudget?: PrivacyBudget;
  /** Minimum accuracy of the released model on the validation set (a private check). */
  readonly accuracyFloor?: number;
  readonly maxSigma?: number;
  readonly retrainAllowed: boolean;
}

/** The model's unlearning policy, by mode. */
export type SequentialPolicy = ExactPolicy | PaperExperimentPolicy | CertifiedPolicy;

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

interface StepOptions {
  readonly state: SequentialState;
  readonly dataset: Dataset;
  readonly forgetIds: readonly string[];
  readonly policy: SequentialPolicy;
  /** For the accuracy floor (released model's accuracy); required when a floor is set. */
  readonly validation?: Dataset;
  readonly seed: Seed;
  /**
   * 'noise-free' (default; paper Algorithm 2): the next request starts from the private w~(k).
   * 'release': it starts from Π_C(release k), a public value; adaptive composition covers it.
   */
  readonly chainFrom?: 'noise-free' | 'release';
  readonly onProgress?: ProgressCallback;
}

/** Newton candidate (certified or paper-experiment), or why it is not certifiable. */
const newtonCandidate = async (
  engine: NumericEngine,
  opts: StepOptions,
  start: StartPoint,
  data: Dataset,
  seed: Seed,
): Promise<{ candidate?: UnlearnOutcome; notCertifiable?: string }> => {
  const { policy } = opts;
  const base = {
    start,
    data,
    forgetIds: opts.forgetIds,
    seed,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
  if (policy.mode === 'paper-experiment') {
    return {
      candidate: await unlearn(engine, {
        ...base,
        mode: 'paper-experiment',
        newton: policy.newton,
        sigma: policy.sigma,
      }),
    };
  }
  if (policy.mode !== 'certified') return {};
  try {
    return {
      candidate: await unlearn(engine, {
        ...base,
        mode: 'certified',
        newton: policy.newton,
        certification: { ...policy.certification, ...policy.target },
        ...(policy.constantsSettings ? { constantsSettings: policy.constantsSettings } : {}),
      }),
    };
  } catch (e) {
    const certifiable = [
      UnlearningErrorCodes.BOUND_INVALID_INPUT,
      UnlearningErrorCodes.LISSA_DIVERGED,
      UnlearningErrorCodes.CERTIFICATION_CHECK_FAILED,
    ].some((code) => isUnlearningError(e, code));
    if (!certifiable) throw e;
    return { notCertifiable: `${(e as { code: string }).code}: ${(e as Error).message}` };
  }
};

const nextState = (
  state: SequentialState,
  out: UnlearnOutcome,
  k: number,
  ledger: PrivacyLedger,
  origin: SequentialState['chainOrigin'],
  chainFrom: 'noise-free' | 'release',
): SequentialState => {
  const fromRelease = chainFrom === 'release' && origin === 'newton';
  const chainParams = fromRelease
    ? projectToBall(out.public.released.params, state.recipe.C)
    : Float32Array.from(out.private.chainParams);
  return {
    arch: state.arch,
    recipe: state.recipe,
    profile: state.profile,
    chainParams,
    chainDigest: fromRelease ? modelDigest(state.arch, chainParams) : out.private.chainDigest,
    chainOrigin: fromRelease ? 'release' : origin,
    remainingIds: out.public.remainingIds,
    k,
    previousReleaseDigest: out.public.released.digest,
    ledger,
  };
};

/**
 * Serves one deletion request on the chain: the policy decides newton vs retrain vs needs-retrain;
 * newton continues from the chain state and gets fresh noise; retrain resets the chain and the
 * ledger; an uncertified (paper-experiment) release poisons the ledger. Only `public` may be
 * published: a refusal publishes the action and data-independent reason codes, nothing about the
 * refused candidate. `dataset` must contain every id of `state.remainingIds`.
 */
export const processDeletionRequest = async (
  engine: NumericEngine,
  opts: StepOptions,
): Promise<SequentialStep> => {
  const { state, policy } = opts;
  const certified = policy.mode === 'certified' ? policy : undefined;
  requireValidationForFloor(certified?.accuracyFloor, opts.validation);
  const k = state.k + 1;
  const seed = deriveSeed(opts.seed, 'request', k);
  const data = selectIds(opts.dataset, state.remainingIds, `${opts.dataset.name}/r${state.k}`);
  const start: StartPoint = {
    arch: state.arch,
    params: state.chainParams,
    recipe: state.recipe,
    trainingGradientNorm: state.profile.finalGradNorm,
  };

  // prepare the candidate → private checks (accuracy floor) → decide
  const { candidate, notCertifiable } = await newtonCandidate(engine, opts, start, data, seed);
  const validationAccuracy = candidateAccuracy(
    engine,
    state.arch,
    candidate,
    certified?.accuracyFloor,
    opts.validation,
  );
  return concludeStep({
    state,
    k,
    decision: decide(policy, state.ledger, candidate, notCertifiable, validationAccuracy),
    candidate,
    validationAccuracy,
    notCertifiable,
    retrain: () =>
      unlearn(engine, {
        start,
        data,
        forgetIds: opts.forgetIds,
        mode: 'exact',
        seed,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      }),
    releaseOf: (out) => {
      const g = out.public.guarantee;
      return g.type === 'certified'
        ? {
            kind: 'gaussian',
            sigma: g.sigma,
            sensitivity: g.bound as number,
            epsilon: g.epsilon as number,
            delta: g.delta as number,
          }
        : { kind: 'uncertified' };
    },
    nextState: (out, ledger, origin) =>
      nextState(
        state,
        out,
        k,
        ledger,
        origin,
        origin === 'newton' ? (opts.chainFrom ?? 'noise-free') : 'noise-free',
      ),
  });
};

/** The policy's decision. σ and Δ are settings-only, so only the checks are data-dependent. */
const decide = (
  policy: SequentialPolicy,
  spent: PrivacyLedger,
  candidate: UnlearnOutcome | undefined,
  notCertifiable: string | undefined,
  validationAccuracy: number | undefined,
): UnlearningDecision => {
  if (policy.mode !== 'certified') {
    return decideUnlearningAction({
      mode: policy.mode,
      target: { epsilon: 1, delta: 1e-5 },
      sigma: 1,
      sensitivity: 1,
      cumulativeBudget: UNLIMITED_BUDGET,
      spent,
      retrainAllowed: true,
    });
  }
  const g = candidate?.public.guarantee;
  return decideUnlearningAction({
    mode: 'certified',
    target: policy.target,
    // Placeholders when no candidate exists: the decision is then blocked by `certifiable: false`,
    // and a negligible sensitivity keeps the budget check from adding a misleading reason.
    sigma: g && g.sigma > 0 ? g.sigma : 1,
    sensitivity: g?.bound && g.bound > 0 ? g.bound : 1e-12,
    ...(policy.accuracyFloor !== undefined ? { accuracyFloor: policy.accuracyFloor } : {}),
    ...(validationAccuracy !== undefined ? { predictedAccuracyWithNoise: validationAccuracy } : {}),
    ...(policy.maxSigma !== undefined ? { maxSigma: policy.maxSigma } : {}),
    cumulativeBudget: policy.cumulativeBudget ?? UNLIMITED_BUDGET,
    spent,
    retrainAllowed: policy.retrainAllowed,
    certifiable: candidate !== undefined,
    ...(notCertifiable ? { notCertifiableReason: notCertifiable } : {}),
  });
};

/** Digest of the chain state's parameters (to check it against a stored copy). */
export const chainStateDigest = (s: SequentialState): string => modelDigest(s.arch, s.chainParams);
