/**
 * Why a model's policy chose the method of a released step: the methods it tried in the model's
 * order, each chosen or refused with its PUBLIC reason codes (e.g. `private-check-failed`, never
 * the private value behind it). Governance takes it from the signed certificate's
 * `evidence.policy` (docs/contracts.md §2), not from the result message's unsigned `reason`.
 */
export interface PolicyChoice {
  /** The policy method that released the step (`newton`, `convex-newton`, `sisa-shard`, `retrain`). */
  readonly chosen: string;
  readonly tried: readonly PolicyAttempt[];
}

export interface PolicyAttempt {
  readonly method: string;
  readonly outcome: 'chosen' | 'refused';
  readonly reasons: readonly string[];
}

/**
 * The choice in one line of public codes, in the worker's format (the result message's `reason`):
 * `convex-newton refused (private-check-failed); retrain chosen`.
 */
export const policyChoiceReason = (p: PolicyChoice): string =>
  p.tried
    .map(
      (t) => `${t.method} ${t.outcome}${t.reasons.length > 0 ? ` (${t.reasons.join(', ')})` : ''}`,
    )
    .join('; ');
