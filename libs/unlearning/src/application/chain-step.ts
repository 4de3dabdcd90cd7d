import type { Dataset } from './model/dataset';
import type { Architecture } from './model/architecture';
import type { NumericEngine } from './ports/numeric-engine';
import type { PublicRelease, UnlearnPrivate } from './unlearn';
import type { EngineTrainingProfile, TrainingRecipe } from './model/recipe';
import { unlearningError, EngineErrorCode } from './errors';
import {
  cumulativeGuarantee,
  recordRelease,
  resetLedger,
  type CumulativeGuarantee,
  type PrivacyBudget,
  type PrivacyLedger,
  type Release,
} from '../domain/privacy/accountant';
import type {
  DecisionReasonCode,
  UnlearningAction,
  UnlearningDecision,
} from '../domain/policy/unlearning-policy';

/**
 * The ledger and decision part that every chain's step shares (the Newton chain of
 * `sequential.ts`, the convex-newton chain of `convex/convex-sequential.ts`): which reasons may be
 * published, the accuracy floor's private check, and the three ends of a decision — parked
 * (needs-retrain), retrained (the ledger reset) or released (recorded in the ledger).
 */

/**
 * The PRIVATE state of one model's unlearning chain (paper Algorithm 2): the chain parameters
 * (noise-free w~(k), or the projected public release when the chain continues from releases), the
 * remaining record ids D_r(k), the recipe, k, the previous release's digest and the privacy ledger.
 * It must never leave the worker's private store.
 */
export interface SequentialState {
  readonly arch: Architecture;
  readonly recipe: Required<TrainingRecipe>;
  /** Profile of the original training, or of the latest retrain from scratch. */
  readonly profile: EngineTrainingProfile;
  /** Chain parameters: w* at k = 0, then w~(k) (noise-free) or Π_C(release k). */
  readonly chainParams: Float32Array;
  readonly chainDigest: string;
  /** How the chain state was produced. */
  readonly chainOrigin: 'trained' | 'newton' | 'retrain' | 'release';
  readonly remainingIds: readonly string[];
  /** Number of requests served (released) so far. */
  readonly k: number;
  readonly previousReleaseDigest: string | null;
  readonly ledger: PrivacyLedger;
}

/**
 * Reason codes that may be published: data-independent ones as they are; checks on private
 * values (certifiability, the accuracy floor) only as 'private-check-failed', so a refusal does not
 * say which private check failed.
 */
export type PublicReasonCode =
  | Exclude<DecisionReasonCode, 'not-certifiable' | 'accuracy-floor' | 'accuracy-unchecked'>
  | 'private-check-failed';

/** PUBLIC: what may leave the worker for this request. */
export interface PublicStep {
  readonly k: number;
  readonly action: UnlearningAction;
  readonly reasons: readonly PublicReasonCode[];
  /** The release and its guarantee; null when the request is parked (needs-retrain). */
  readonly release: PublicRelease | null;
  /** Cumulative guarantee of the chain after this step (ε = ∞ on a poisoned chain). */
  readonly cumulative: CumulativeGuarantee;
}

/** PRIVATE: the next chain state and everything measured on the way; never published. */
export interface PrivateStep {
  /** The next state (unchanged for needs-retrain): store it in the private store. */
  readonly state: SequentialState;
  /** The policy's decision with its full reasons (they may quote private values). */
  readonly decision: UnlearningDecision;
  /** Accuracy of the candidate release on the validation set, when measured. */
  readonly validationAccuracy?: number;
  /** Why the Newton candidate could not be certified (a failed check, a non-PD Hessian…). */
  readonly notCertifiable?: string;
  /** The private part of the Newton candidate, when one was computed. */
  readonly candidate?: UnlearnPrivate;
}

export interface SequentialStep {
  readonly public: PublicStep;
  readonly private: PrivateStep;
}

/** The cumulative budget of a chain whose policy sets none. */
export const UNLIMITED_BUDGET: PrivacyBudget = { epsilon: Number.MAX_VALUE, delta: 0.999999 };

/**
 * Codes that depend on private values. 'accuracy-unchecked' appears here only when no candidate
 * passed its checks (a floor without a validation set is refused up front), so publishing it
 * would tell which private check failed.
 */
const PRIVATE_CODES: ReadonlySet<DecisionReasonCode> = new Set([
  'not-certifiable',
  'accuracy-floor',
  'accuracy-unchecked',
]);

/** The decision's codes as they may be published, private ones as 'private-check-failed'. */
export const publicReasons = (codes: readonly DecisionReasonCode[]): PublicReasonCode[] => {
  const out: PublicReasonCode[] = [];
  for (const c of codes) {
    const pub: PublicReasonCode = PRIVATE_CODES.has(c)
      ? 'private-check-failed'
      : (c as PublicReasonCode);
    if (!out.includes(pub)) out.push(pub);
  }
  return out;
};

/** A floor is a check on the validation set: refused up front without one. */
export const requireValidationForFloor = (
  accuracyFloor: number | undefined,
  validation: Dataset | undefined,
): void => {
  if (accuracyFloor !== undefined && !validation) {
    throw unlearningError(
      EngineErrorCode.InvalidSettings,
      'an accuracy floor needs a validation set',
      {},
      'validation',
    );
  }
};

/** The candidate release's accuracy on the validation set (PRIVATE), when a floor asks for it. */
export const candidateAccuracy = (
  engine: NumericEngine,
  arch: Architecture,
  candidate: { readonly public: PublicRelease } | undefined,
  accuracyFloor: number | undefined,
  validation: Dataset | undefined,
): number | undefined =>
  candidate && accuracyFloor !== undefined
    ? engine.evaluate(arch, candidate.public.released.params, validation as Dataset).accuracy
    : undefined;

/** One chain step's candidate: its public release and its private part. */
export interface ChainOutcome {
  readonly public: PublicRelease;
  readonly private: UnlearnPrivate;
}

export interface ConcludeStepOptions<O extends ChainOutcome> {
  readonly state: SequentialState;
  /** The step's number (state.k + 1). */
  readonly k: number;
  readonly decision: UnlearningDecision;
  readonly candidate: O | undefined;
  readonly validationAccuracy: number | undefined;
  readonly notCertifiable: string | undefined;
  /** The exact release, when the decision is to retrain. */
  readonly retrain: () => Promise<O>;
  /** The candidate's release as the ledger records it. */
  readonly releaseOf: (candidate: O) => Release;
  /** The chain's next state after a release (`newton`) or a retrain. */
  readonly nextState: (
    out: O,
    ledger: PrivacyLedger,
    origin: 'newton' | 'retrain',
  ) => SequentialState;
}

/**
 * The step a decision makes: needs-retrain parks the request (state unchanged, nothing released);
 * retrain releases the exact model and resets the ledger, publishing nothing about the refused
 * candidate; otherwise the candidate is released and recorded in the ledger.
 */
export const concludeStep = async <O extends ChainOutcome>(
  opts: ConcludeStepOptions<O>,
): Promise<SequentialStep> => {
  const { state, k, decision, candidate, validationAccuracy, notCertifiable } = opts;
  const privateBase = {
    decision,
    ...(validationAccuracy !== undefined ? { validationAccuracy } : {}),
    ...(notCertifiable !== undefined ? { notCertifiable } : {}),
    ...(candidate ? { candidate: candidate.private } : {}),
  };
  const publicBase = { k, action: decision.action, reasons: publicReasons(decision.codes) };

  if (decision.action === 'needs-retrain') {
    return {
      public: { ...publicBase, release: null, cumulative: cumulativeGuarantee(state.ledger) },
      private: { ...privateBase, state },
    };
  }
  if (decision.action === 'retrain') {
    const exact = await opts.retrain();
    const ledger = resetLedger();
    return {
      // An exact release publishes nothing about the refused candidate.
      public: { ...publicBase, release: exact.public, cumulative: cumulativeGuarantee(ledger) },
      private: { ...privateBase, state: opts.nextState(exact, ledger, 'retrain') },
    };
  }
  const out = candidate as O;
  const ledger = recordRelease(state.ledger, opts.releaseOf(out));
  return {
    public: { ...publicBase, release: out.public, cumulative: cumulativeGuarantee(ledger) },
    private: { ...privateBase, state: opts.nextState(out, ledger, 'newton') },
  };
};
