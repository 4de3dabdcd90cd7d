import { CodedError, isDomainError, type DomainErrorKind } from '@lethe/shared';

/**
 * Stable codes of the unlearning worker's job handling (what a `failed` / `needs-retrain` result
 * carries on lethe.unlearning-results.v1, docs/contracts.md §2.1). Add, never rename.
 */
export const JobErrorCode = {
  /** The job message is not JSON, or does not match its type's schema. */
  INVALID_MESSAGE: 'JOB_INVALID_MESSAGE',
  /** The training profile or the unlearning policy of the job does not validate. */
  INVALID_PROFILE: 'JOB_INVALID_PROFILE',
  /** A dataset the job needs has no registered source descriptor. */
  DATASET_SOURCE_MISSING: 'DATASET_SOURCE_MISSING',
  /** A record the job names is not in the dataset sources. */
  RECORD_NOT_FOUND: 'JOB_RECORD_NOT_FOUND',
  /** The job's base version is not in the model store. */
  BASE_VERSION_NOT_FOUND: 'JOB_BASE_VERSION_NOT_FOUND',
  /** The private chain state of the base version is missing or does not match the version. */
  CHAIN_STATE_NOT_FOUND: 'JOB_CHAIN_STATE_NOT_FOUND',
  /** A later version than the job's base exists already: the job is stale. */
  STALE_BASE_VERSION: 'JOB_STALE_BASE_VERSION',
  /** Another job holds the model's next certificate step (still running, or crashed). */
  MODEL_BUSY: 'JOB_MODEL_BUSY',
  /** The policy cannot be honoured by a certified update and retraining is not allowed. */
  NEEDS_RETRAIN: 'UNLEARNING_NEEDS_RETRAIN',
  /** Anything unexpected (a bug, or an engine error without a code). */
  INTERNAL: 'WORKER_INTERNAL_ERROR',
} as const;

export type JobErrorCode = (typeof JobErrorCode)[keyof typeof JobErrorCode];

const KIND: Record<JobErrorCode, DomainErrorKind> = {
  JOB_INVALID_MESSAGE: 'validation',
  JOB_INVALID_PROFILE: 'validation',
  DATASET_SOURCE_MISSING: 'unprocessable',
  JOB_RECORD_NOT_FOUND: 'unprocessable',
  JOB_BASE_VERSION_NOT_FOUND: 'not-found',
  JOB_CHAIN_STATE_NOT_FOUND: 'not-found',
  JOB_STALE_BASE_VERSION: 'conflict',
  JOB_MODEL_BUSY: 'unavailable',
  UNLEARNING_NEEDS_RETRAIN: 'unprocessable',
  WORKER_INTERNAL_ERROR: 'unavailable',
};

export class JobError extends CodedError<JobErrorCode> {
  constructor(
    code: JobErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, KIND[code], message, details);
  }
}

/** A failure as a result reports it: a stable code, a message and whether a retry may help. */
export interface JobFailure {
  readonly code: string;
  readonly reason: string;
  readonly retryable: boolean;
}

/**
 * Any error as a coded failure. Domain errors keep their code (dataset sources, model stores,
 * the engine, the certificate validator); only `unavailable` ones (I/O, a busy model) are
 * retryable. Anything else is WORKER_INTERNAL_ERROR, retryable (a bug or a crash of a dependency).
 * The message of an engine error may quote settings, never private values (the engine's errors
 * name failed checks only, docs/adr/0004-certified-bound-and-noise.md).
 */
export const failureOf = (e: unknown): JobFailure => {
  if (isDomainError(e)) {
    return { code: e.code, reason: e.message, retryable: e.kind === 'unavailable' };
  }
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) {
    return { code, reason: (e as Error).message, retryable: false };
  }
  return {
    code: JobErrorCode.INTERNAL,
    reason: e instanceof Error ? e.message : String(e),
    retryable: true,
  };
};
