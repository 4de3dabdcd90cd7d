/** Exponential backoff without jitter (deterministic, so tests can state the exact instant). */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Delay before the attempt after the `failedAttempts`-th failure (1 → base, 2 → 2·base, ...). */
export const backoffDelayMs = (policy: BackoffPolicy, failedAttempts: number): number =>
  Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failedAttempts - 1));
