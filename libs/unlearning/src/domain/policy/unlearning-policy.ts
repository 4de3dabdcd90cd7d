import { UnlearningError, UnlearningErrorCodes } from '../errors';
import type { UnlearningMode } from '../model/unlearning-mode';
import {
  checkBudget,
  type CumulativeGuarantee,
  type PrivacyBudget,
  type PrivacyLedger,
} from '../privacy/accountant';

/**
 * Chooses how to serve one unlearning job, applying the honesty rule of docs/method.md §6: a requested
 * (ε, δ) whose σ would break the model's accuracy floor, or that would overspend the cumulative
 * budget, or that cannot be certified at all, NEVER yields a weaker certificate silently. Instead:
 * `retrain` (exact, ε = 0; resets the chain and the budget) when the model's policy allows it,
 * else `needs-retrain` (the request is parked with that status and the reasons).
 *
 * Pure; the caller computes σ (calibrateSigma on the certified bound) and, ideally, the accuracy
 * of the noised model before calling. Call it again with the measured accuracy of the noised
 * release before publishing it if only a prediction was available.
 */
export type UnlearningAction = 'newton' | 'retrain' | 'needs-retrain';

export interface UnlearningPolicyInput {
  readonly mode: UnlearningMode;
  /** Requested per-release (ε, δ). */
  readonly target: { readonly epsilon: number; readonly delta: number };
  /** σ the target needs for this request's certified bound. */
  readonly sigma: number;
  /** The certified bound Δ the σ was calibrated to. */
  readonly sensitivity: number;
  /** Minimum acceptable accuracy of the released (noised) model, in [0, 1]; omit for none. */
  readonly accuracyFloor?: number;
  /** Predicted or measured accuracy of w~ + N(0, σ²I) (e.g. mean over noise draws on validation). */
  readonly predictedAccuracyWithNoise?: number;
  /** Optional per-model cap on σ (a cruder utility guard than the accuracy floor). */
  readonly maxSigma?: number;
  /** Cumulative budget of the model's current chain, and what the chain has spent. */
  readonly cumulativeBudget: PrivacyBudget;
  readonly spent: PrivacyLedger;
  /** May this model be retrained from scratch (data, compute and policy permitting)? */
  readonly retrainAllowed: boolean;
  /** false when no valid bound exists (λ + λ_min ≤ 0, LiSSA diverged, ‖start‖ unknown…). */
  readonly certifiable?: boolean;
  /** Why not certifiable (shown in reasons). */
  readonly notCertifiableReason?: string;
}

/**
 * Why, as stable codes. `reasons` may quote private values (a candidate's accuracy); the codes
 * never do. Codes of checks on private values ('not-certifiable', 'accuracy-floor') are published
 * only as 'private-check-failed' (application/sequential.ts).
 */
export type DecisionReasonCode =
  | 'mode-exact'
  | 'mode-paper-experiment'
  | 'certified-within-policy'
  | 'not-certifiable'
  | 'accuracy-floor'
  | 'accuracy-unchecked'
  | 'max-sigma'
  | 'budget-exceeded'
  | 'not-accountable'
  | 'retrain-instead'
  | 'retrain-not-allowed';

export interface UnlearningDecision {
  readonly action: UnlearningAction;
  readonly reasons: readonly string[];
  readonly codes: readonly DecisionReasonCode[];
  /**
   * passed / failed / unchecked (a floor is set but no accuracy was given: the release is blocked) /
   * not-applicable.
   */
  readonly accuracyCheck: 'passed' | 'failed' | 'unchecked' | 'not-applicable';
  /** Cumulative guarantee of the chain if this release happens (certified mode only). */
  readonly projected?: CumulativeGuarantee;
}

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.POLICY_INVALID_INPUT, message, details);
};

const isProb = (x: number): boolean => typeof x === 'number' && x >= 0 && x <= 1;
const isPos = (x: number): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;

function validate(input: UnlearningPolicyInput): void {
  if (!['certified', 'exact', 'paper-experiment'].includes(input.mode))
    fail('unknown mode', { mode: input.mode });
  if (input.mode !== 'certified') return;
  const {
    target,
    sigma,
    sensitivity,
    accuracyFloor,
    predictedAccuracyWithNoise,
    maxSigma,
    cumulativeBudget,
  } = input;
  if (!isPos(target.epsilon) || !(target.delta > 0 && target.delta < 1))
    fail('target needs epsilon > 0 and delta in (0, 1)', { ...target });
  if (!isPos(sigma)) fail('sigma must be > 0', { sigma });
  if (!isPos(sensitivity)) fail('sensitivity must be > 0', { sensitivity });
  if (accuracyFloor !== undefined && !isProb(accuracyFloor))
    fail('accuracyFloor must be in [0, 1]', { accuracyFloor });
  if (predictedAccuracyWithNoise !== undefined && !isProb(predictedAccuracyWithNoise)) {
    fail('predictedAccuracyWithNoise must be in [0, 1]', { predictedAccuracyWithNoise });
  }
  if (maxSigma !== undefined && !isPos(maxSigma)) fail('maxSigma must be > 0', { maxSigma });
  if (
    !(cumulativeBudget.epsilon >= 0) ||
    !Number.isFinite(cumulativeBudget.epsilon) ||
    !(cumulativeBudget.delta >= 0 && cumulativeBudget.delta < 1)
  ) {
    fail('cumulativeBudget needs epsilon >= 0 and delta in [0, 1)', { ...cumulativeBudget });
  }
  if (typeof input.retrainAllowed !== 'boolean') fail('retrainAllowed must be a boolean');
}

export function decideUnlearningAction(input: UnlearningPolicyInput): UnlearningDecision {
  validate(input);
  if (input.mode === 'exact') {
    return {
      action: 'retrain',
      reasons: ['mode exact: retrain from scratch on D_r (guarantee exact, epsilon = 0)'],
      codes: ['mode-exact'],
      accuracyCheck: 'not-applicable',
    };
  }
  if (input.mode === 'paper-experiment') {
    return {
      action: 'newton',
      reasons: ['mode paper-experiment: fixed sigma, the certificate states guarantee "none"'],
      codes: ['mode-paper-experiment'],
      accuracyCheck: 'not-applicable',
    };
  }

  const blocking: string[] = [];
  const codes: DecisionReasonCode[] = [];
  const notes: string[] = [];
  const { target, sigma, sensitivity } = input;

  if (input.certifiable === false) {
    blocking.push(`no valid certified bound: ${input.notCertifiableReason ?? 'not certifiable'}`);
    codes.push('not-certifiable');
  }

  let accuracyCheck: UnlearningDecision['accuracyCheck'] = 'not-applicable';
  if (input.accuracyFloor !== undefined) {
    if (input.predictedAccuracyWithNoise === undefined) {
      // Honesty rule: a floor that was not measured cannot be said to hold; block the release.
      accuracyCheck = 'unchecked';
      codes.push('accuracy-unchecked');
      blocking.push(
        `accuracy floor set but not measured: the floor ${input.accuracyFloor} needs the accuracy of the noised model (sigma = ${sigma})`,
      );
    } else if (input.predictedAccuracyWithNoise < input.accuracyFloor) {
      accuracyCheck = 'failed';
      codes.push('accuracy-floor');
      blocking.push(
        `sigma = ${sigma} for (epsilon = ${target.epsilon}, delta = ${target.delta}) drops accuracy to ` +
          `${input.predictedAccuracyWithNoise}, below the floor ${input.accuracyFloor}`,
      );
    } else {
      accuracyCheck = 'passed';
    }
  }

  if (input.maxSigma !== undefined && sigma > input.maxSigma) {
    blocking.push(`sigma = ${sigma} exceeds the model's maximum sigma ${input.maxSigma}`);
    codes.push('max-sigma');
  }

  let projected: CumulativeGuarantee | undefined;
  try {
    const check = checkBudget(
      input.spent,
      { kind: 'gaussian', sigma, sensitivity, epsilon: target.epsilon, delta: target.delta },
      input.cumulativeBudget,
    );
    projected = check.after;
    if (!check.withinBudget) {
      codes.push('budget-exceeded');
      blocking.push(
        `cumulative budget exceeded: after this release (epsilon, delta) = (${check.after.epsilon}, ` +
          `${check.after.delta}) > budget (${input.cumulativeBudget.epsilon}, ${input.cumulativeBudget.delta})`,
      );
    }
  } catch (e) {
    if (e instanceof UnlearningError) {
      blocking.push(`release cannot be accounted: ${e.message}`);
      codes.push('not-accountable');
    } else {
      throw e;
    }
  }

  if (blocking.length === 0) {
    return {
      action: 'newton',
      reasons: ['certified Newton step within accuracy floor and budget', ...notes],
      codes: ['certified-within-policy'],
      accuracyCheck,
      ...(projected !== undefined ? { projected } : {}),
    };
  }
  const action: UnlearningAction = input.retrainAllowed ? 'retrain' : 'needs-retrain';
  const tail = input.retrainAllowed
    ? 'retrain from scratch instead (exact, epsilon = 0; resets the chain and budget)'
    : 'retraining is not allowed for this model: request recorded as needs-retrain';
  return {
    action,
    reasons: [...blocking, ...notes, tail],
    codes: [...codes, input.retrainAllowed ? 'retrain-instead' : 'retrain-not-allowed'],
    accuracyCheck,
    ...(projected !== undefined ? { projected } : {}),
  };
}
