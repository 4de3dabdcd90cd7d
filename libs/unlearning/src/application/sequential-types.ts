import type { Architecture } from './model/architecture';
import type { EngineTrainingProfile, TrainingRecipe } from './model/recipe';
import type {
  CumulativeGuarantee,
  PrivacyBudget,
  PrivacyLedger,
} from '../domain/privacy/accountant';
import type {
  DecisionReasonCode,
  UnlearningAction,
  UnlearningDecision,
} from '../domain/policy/unlearning-policy';
import type {
  CertificationSettings,
  CertifiedUnlearnRequest,
  NewtonSettings,
  PublicRelease,
  UnlearnPrivate,
} from './unlearn';

/*
 * The types of a model's unlearning chain (sequential.ts runs it; chain-step.ts holds the step
 * both the Newton and the convex chains conclude with). Apart, so that neither imports the other.
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
