/** Exponential backoff: the delay ceiling doubles with each failure, up to a maximum. */
export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * The ceiling after the `attempt`-th failure: min(max, base · 2^(attempt-1)), so 1 → base,
 * 2 → 2·base, … Deterministic: use it where a test states the exact instant (job retries).
 */
export function backoffCeilingMs(attempt: number, policy: BackoffPolicy): number {
  const exp = Math.min(Math.max(0, attempt - 1), 30);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exp);
}

/**
 * Full jitter (uniform in [0, ceiling)): what concurrent retriers use, so they do not collide
 * again in step. `random` in [0, 1) is injected for tests.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCeilingMs(attempt, policy));
}
