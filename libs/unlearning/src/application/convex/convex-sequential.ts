import { selectIds, type Dataset } from '../model/dataset';
import type { NumericEngine } from '../ports/numeric-engine';
import type { ProgressCallback } from '../progress';
import type { StartPoint } from '../unlearn';
import type { PrivateStep, SequentialState, SequentialStep } from '../sequential';
import {
  UNLIMITED_BUDGET,
  candidateAccuracy,
  concludeStep,
  requireValidationForFloor,
} from '../chain-step';
import {
  convexCalibration,
  convexNewtonUnlearn,
  convexRetrain,
  type ConvexNewtonSettings,
  type ConvexOutcome,
} from './convex-newton';
import type { ConvexSolverSettings } from './solve-to-tolerance';
import type { FeatureExtractor } from './feature-extractor';
import type { SoftmaxHessianFactor } from '../../domain/convex/hessian-factor';
import { isUnlearningError, UnlearningErrorCodes } from '../../domain/errors';
import {
  checkBudget,
  type PrivacyBudget,
  type PrivacyLedger,
} from '../../domain/privacy/accountant';
import { decideUnlearningAction } from '../../domain/policy/unlearning-policy';
import type { MechanismPolicy } from '../../domain/privacy/gaussian-mechanism';
import { deriveSeed, type Seed } from '../../domain/random';

/**
 * A model's policy when it is a softmax regression served by convex-newton
 * (docs/adr/0011-convex-newton.md): certified releases at `target` while the private check passes,
 * the cumulative budget holds and the noisy release keeps the accuracy floor; otherwise the exact
 * fallback (retrain from scratch to τ, same noise) when allowed, else `needs-retrain`.
 */
export interface ConvexNewtonPolicy {
  readonly mode: 'convex-newton';
  /** Per-release (ε, δ). */
  readonly target: { readonly epsilon: number; readonly delta: number };
  readonly mechanism?: MechanismPolicy;
  readonly solver: ConvexSolverSettings;
  /** The frozen extractor the model's inputs come from (the dataset then holds its features). */
  readonly extractor?: FeatureExtractor;
  /** Cumulative budget of one chain (reset by a retrain). */
  readonly cumulativeBudget?: PrivacyBudget;
  /** Minimum accuracy of the noisy release on the validation set (a private check). */
  readonly accuracyFloor?: number;
  readonly retrainAllowed: boolean;
}

export interface ConvexStepOptions {
  /** PRIVATE chain state: the noise-free solution, D_r(k−1) ids, the ledger. */
  readonly state: SequentialState;
  /** Must contain every id of `state.remainingIds`. */
  readonly dataset: Dataset;
  readonly forgetIds: readonly string[];
  readonly policy: ConvexNewtonPolicy;
  /** Required when the policy has an accuracy floor. */
  readonly validation?: Dataset;
  readonly seed: Seed;
  /**
   * PRIVATE, with `policy.solver.keptFactor`: the kept factor of D_r(k−1) at the chain's centre
   * (the previous step's `private.factor`, or `keepConvexFactor` after training).
   */
  readonly factor?: SoftmaxHessianFactor;
  readonly onProgress?: ProgressCallback;
}

/** A convex chain step: the sequential step plus, with a kept factor, the factor of D_r(k). */
export interface ConvexSequentialStep extends SequentialStep {
  readonly private: PrivateStep & { readonly factor?: SoftmaxHessianFactor };
}

const sameIds = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

const settingsOf = (policy: ConvexNewtonPolicy): ConvexNewtonSettings => ({
  epsilon: policy.target.epsilon,
  delta: policy.target.delta,
  ...(policy.mechanism ? { mechanism: policy.mechanism } : {}),
  solver: policy.solver,
  ...(policy.extractor ? { extractor: policy.extractor } : {}),
});

const nextState = (
  state: SequentialState,
  out: ConvexOutcome,
  k: number,
  ledger: PrivacyLedger,
  origin: 'newton' | 'retrain',
): SequentialState => ({
  ...state,
  // The chain continues from the noise-free solution: Δ = 2τ holds whatever the start point.
  chainParams: Float32Array.from(out.private.chainParams),
  chainDigest: out.private.chainDigest,
  chainOrigin: origin,
  remainingIds: out.public.remainingIds,
  k,
  previousReleaseDigest: out.public.released.digest,
  ledger,
});

/**
 * Serves one deletion request on a convex-newton chain. σ and Δ = 2τ are settings, so the budget is
 * checked before any data is touched (a refusal for budget computes no candidate); the candidate's
 * private check and the accuracy floor are private: a refusal publishes `private-check-failed` and
 * nothing about the candidate. Sequential releases compose in the chain's ledger; a retrain resets it.
 */
export const processConvexDeletionRequest = async (
  engine: NumericEngine,
  opts: ConvexStepOptions,
): Promise<ConvexSequentialStep> => {
  const { state, policy } = opts;
  requireValidationForFloor(policy.accuracyFloor, opts.validation);
  const settings = settingsOf(policy);
  const cal = convexCalibration(state.arch, state.recipe.l2, settings);
  const budget = policy.cumulativeBudget ?? UNLIMITED_BUDGET;
  const k = state.k + 1;
  const seed = deriveSeed(opts.seed, 'request', k);
  // D_r(k−1) in the chain's row order: the dataset itself when it is already that (the worker
  // reads the rows in that order), else a copy.
  const name = `${opts.dataset.name}/r${state.k}`;
  const data = sameIds(opts.dataset.ids, state.remainingIds)
    ? { ...opts.dataset, name }
    : selectIds(opts.dataset, state.remainingIds, name);
  const start: StartPoint = {
    arch: state.arch,
    params: state.chainParams,
    recipe: state.recipe,
  };
  const req = {
    start,
    data,
    forgetIds: opts.forgetIds,
    settings,
    seed,
    ...(opts.factor ? { factor: opts.factor } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };

  // Data-independent: would the release overspend the budget? Then no candidate is computed.
  const release = {
    kind: 'gaussian' as const,
    sigma: cal.sigma,
    sensitivity: cal.bound,
    epsilon: policy.target.epsilon,
    delta: policy.target.delta,
  };
  const withinBudget = checkBudget(state.ledger, release, budget).withinBudget;
  let candidate: ConvexOutcome | undefined;
  let notCertifiable: string | undefined;
  if (withinBudget) {
    try {
      candidate = await convexNewtonUnlearn(engine, req);
    } catch (e) {
      if (!isUnlearningError(e, UnlearningErrorCodes.CERTIFICATION_CHECK_FAILED)) throw e;
      notCertifiable = `${UnlearningErrorCodes.CERTIFICATION_CHECK_FAILED}: ${(e as Error).message}`;
    }
  }
  const validationAccuracy = candidateAccuracy(
    engine,
    state.arch,
    candidate,
    policy.accuracyFloor,
    opts.validation,
  );
  const decision = decideUnlearningAction({
    mode: 'certified',
    target: policy.target,
    sigma: cal.sigma,
    sensitivity: cal.bound,
    ...(policy.accuracyFloor !== undefined ? { accuracyFloor: policy.accuracyFloor } : {}),
    ...(validationAccuracy !== undefined ? { predictedAccuracyWithNoise: validationAccuracy } : {}),
    cumulativeBudget: budget,
    spent: state.ledger,
    retrainAllowed: policy.retrainAllowed,
    // Not computed because of the budget: the budget code alone says why.
    certifiable: candidate !== undefined || !withinBudget,
    ...(notCertifiable ? { notCertifiableReason: notCertifiable } : {}),
  });
  let exact: ConvexOutcome | undefined;
  const step = await concludeStep({
    state,
    k,
    decision,
    candidate,
    validationAccuracy,
    notCertifiable,
    retrain: async () => {
      exact = await convexRetrain(engine, req);
      return exact;
    },
    releaseOf: () => release,
    nextState: (out, ledger, origin) => nextState(state, out, k, ledger, origin),
  });
  // The kept factor travels with the chain: unchanged when parked, the retrain's after an exact
  // release, the candidate's after a certified one.
  const factor =
    step.public.action === 'needs-retrain'
      ? opts.factor
      : step.public.action === 'retrain'
        ? exact?.private.factor
        : candidate?.private.factor;
  return factor ? { ...step, private: { ...step.private, factor } } : step;
};
