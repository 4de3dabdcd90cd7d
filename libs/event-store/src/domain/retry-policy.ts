export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 10,
  maxDelayMs: 500,
});

/**
 * Exponential backoff with full jitter: uniform in [0, min(max, base · 2^(attempt-1))].
 * `attempt` counts failures so far (1 after the first). `random` in [0, 1) is injected for tests.
 */
export function backoffDelayMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const exp = Math.max(0, attempt - 1);
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exp, 30));
  return Math.floor(random() * cap);
}
