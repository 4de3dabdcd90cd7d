import type { BackoffPolicy } from '@lethe/shared';

/** How often and how patiently a conflicting write is tried again (backoff: @lethe/shared). */
export interface RetryPolicy extends BackoffPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 10,
  maxDelayMs: 500,
});
