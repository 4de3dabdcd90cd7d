import { CodedError, type DomainErrorKind } from '@lethe/shared';

/**
 * Every code the governance core raises. Codes are part of the contract (HTTP problem+json `code`,
 * DLQ header `lethe-error-code`): add new ones, never rename or reuse.
 */
export const GovernanceErrorCode = {
  // intake (docs/contracts.md §3.3): the inbound event itself is wrong
  INVALID_JSON: 'INVALID_JSON',
  SCHEMA_VIOLATION: 'SCHEMA_VIOLATION',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_SPECVERSION: 'UNSUPPORTED_SPECVERSION',
  UNSUPPORTED_CONTENT_TYPE: 'UNSUPPORTED_CONTENT_TYPE',
  SUBJECT_MISMATCH: 'SUBJECT_MISMATCH',
  DEADLINE_REQUIRED: 'DEADLINE_REQUIRED',
  UNKNOWN_DATASET: 'UNKNOWN_DATASET',
  /** The same (source, id) came again with different content: a conflict, never a duplicate. */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  // lineage and registry
  DATASET_ALREADY_EXISTS: 'DATASET_ALREADY_EXISTS',
  DATASET_NOT_FOUND: 'DATASET_NOT_FOUND',
  RECORD_CONFLICT: 'RECORD_CONFLICT',
  INVALID_RECORDS: 'INVALID_RECORDS',
  MODEL_ALREADY_REGISTERED: 'MODEL_ALREADY_REGISTERED',
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  MODEL_VERSION_CONFLICT: 'MODEL_VERSION_CONFLICT',
  EMPTY_TRAINING_SET: 'EMPTY_TRAINING_SET',
  UNKNOWN_RECORD: 'UNKNOWN_RECORD',
  // lifecycle
  REQUEST_NOT_FOUND: 'REQUEST_NOT_FOUND',
  REQUEST_NOT_CERTIFIED: 'REQUEST_NOT_CERTIFIED',
  ILLEGAL_TRANSITION: 'ILLEGAL_TRANSITION',
  JOB_NOT_FOUND: 'JOB_NOT_FOUND',
  JOB_NOT_RETRYABLE: 'JOB_NOT_RETRYABLE',
  JOB_ATTEMPT_MISMATCH: 'JOB_ATTEMPT_MISMATCH',
  // worker results (docs/adr/0010-job-results.md): a refused result message
  /** The result message is not JSON, or not a lethe.unlearning.result.v1 of the contract. */
  RESULT_INVALID: 'RESULT_INVALID',
  /** The certificate's JWS does not verify against the key ring's JWKS (or names an unknown key). */
  CERTIFICATE_SIGNATURE_INVALID: 'CERTIFICATE_SIGNATURE_INVALID',
  /** The signed certificate does not name the job's model, versions, digests, requests or subjects. */
  CERTIFICATE_MISMATCH: 'CERTIFICATE_MISMATCH',
  /** The result names an attempt or a job state that cannot take it (stale, or already settled otherwise). */
  RESULT_NOT_APPLICABLE: 'RESULT_NOT_APPLICABLE',
  // training and the model store
  /** Lethe trains a model only when every dataset it names has a registered source. */
  TRAINING_SOURCE_MISSING: 'TRAINING_SOURCE_MISSING',
  MODEL_VERSION_NOT_FOUND: 'MODEL_VERSION_NOT_FOUND',
  /** A training profile or unlearning policy the worker's schema refuses (docs/contracts.md). */
  INVALID_POLICY: 'INVALID_POLICY',
  // compliance queries
  /** `from` / `to` is not a date, or `from` is not before `to`. */
  INVALID_TIME_RANGE: 'INVALID_TIME_RANGE',
  /** The dashboard's static files are missing from this build (`npm run build` copies them). */
  DASHBOARD_UNAVAILABLE: 'DASHBOARD_UNAVAILABLE',
  // infrastructure seen at the edge
  CONCURRENCY_CONFLICT: 'CONCURRENCY_CONFLICT',
} as const;

export type GovernanceErrorCode = (typeof GovernanceErrorCode)[keyof typeof GovernanceErrorCode];

const kindOf: Record<GovernanceErrorCode, DomainErrorKind> = {
  INVALID_JSON: 'validation',
  SCHEMA_VIOLATION: 'validation',
  UNKNOWN_TYPE: 'validation',
  PAYLOAD_TOO_LARGE: 'validation',
  UNSUPPORTED_SPECVERSION: 'validation',
  UNSUPPORTED_CONTENT_TYPE: 'validation',
  SUBJECT_MISMATCH: 'validation',
  DEADLINE_REQUIRED: 'validation',
  UNKNOWN_DATASET: 'unprocessable',
  IDEMPOTENCY_KEY_REUSED: 'conflict',
  DATASET_ALREADY_EXISTS: 'conflict',
  DATASET_NOT_FOUND: 'not-found',
  RECORD_CONFLICT: 'conflict',
  INVALID_RECORDS: 'validation',
  MODEL_ALREADY_REGISTERED: 'conflict',
  MODEL_NOT_FOUND: 'not-found',
  MODEL_VERSION_CONFLICT: 'conflict',
  EMPTY_TRAINING_SET: 'unprocessable',
  UNKNOWN_RECORD: 'unprocessable',
  REQUEST_NOT_FOUND: 'not-found',
  REQUEST_NOT_CERTIFIED: 'conflict',
  ILLEGAL_TRANSITION: 'conflict',
  JOB_NOT_FOUND: 'not-found',
  JOB_NOT_RETRYABLE: 'conflict',
  JOB_ATTEMPT_MISMATCH: 'conflict',
  RESULT_INVALID: 'validation',
  CERTIFICATE_SIGNATURE_INVALID: 'unprocessable',
  CERTIFICATE_MISMATCH: 'unprocessable',
  RESULT_NOT_APPLICABLE: 'conflict',
  TRAINING_SOURCE_MISSING: 'unprocessable',
  MODEL_VERSION_NOT_FOUND: 'not-found',
  INVALID_POLICY: 'validation',
  INVALID_TIME_RANGE: 'validation',
  DASHBOARD_UNAVAILABLE: 'unavailable',
  CONCURRENCY_CONFLICT: 'conflict',
};

/** The one error class of this bounded context; `code` says which rule was broken. */
export class GovernanceError extends CodedError<GovernanceErrorCode> {
  constructor(
    code: GovernanceErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, kindOf[code], message, details);
  }
}

export const isGovernanceError = (e: unknown): e is GovernanceError => e instanceof GovernanceError;
