import { CodedError, type DomainErrorKind } from '@lethe/shared';

/**
 * Every code the audit context raises. Codes are part of the contract (HTTP problem+json `code`,
 * DLQ header `lethe-error-code`): add new ones, never rename or reuse.
 */
export const AuditErrorCode = {
  /** The certificate payload breaks a rule of the certificate schema (details.violations). */
  INVALID_CERTIFICATE: 'INVALID_CERTIFICATE',
  /** A value cannot be put into RFC 8785 canonical JSON (NaN, Infinity, undefined, a class …). */
  NOT_CANONICALIZABLE: 'NOT_CANONICALIZABLE',
  /** The JWS does not parse, names an unknown key, or its signature does not verify. */
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  /** The signing key exists but `issuedAt` lies outside its validity window. */
  KEY_NOT_VALID_AT_ISSUE_TIME: 'KEY_NOT_VALID_AT_ISSUE_TIME',
  /** The key ring configuration is wrong (no current key, overlapping kids, bad key material). */
  KEY_RING_INVALID: 'KEY_RING_INVALID',
  /** A Merkle proof was asked for sizes or indexes the tree does not have. */
  INVALID_PROOF_REQUEST: 'INVALID_PROOF_REQUEST',
  /** A Merkle proof does not verify. */
  PROOF_INVALID: 'PROOF_INVALID',
  CERTIFICATE_NOT_FOUND: 'CERTIFICATE_NOT_FOUND',
  /** The log has no checkpoint yet (nothing appended). */
  NO_CHECKPOINT: 'NO_CHECKPOINT',
  /** The same idempotency key was appended before with different content. */
  AUDIT_ENTRY_CONFLICT: 'AUDIT_ENTRY_CONFLICT',
  /** An export was asked with a bad range, format or tree size (details.violations). */
  INVALID_EXPORT_REQUEST: 'INVALID_EXPORT_REQUEST',
  /** The export format exists but nothing renders it in this deployment (HTTP 501). */
  EXPORT_FORMAT_UNAVAILABLE: 'EXPORT_FORMAT_UNAVAILABLE',
} as const;

export type AuditErrorCode = (typeof AuditErrorCode)[keyof typeof AuditErrorCode];

const kindOf: Record<AuditErrorCode, DomainErrorKind> = {
  INVALID_CERTIFICATE: 'validation',
  NOT_CANONICALIZABLE: 'validation',
  SIGNATURE_INVALID: 'unprocessable',
  KEY_NOT_VALID_AT_ISSUE_TIME: 'unprocessable',
  KEY_RING_INVALID: 'validation',
  INVALID_PROOF_REQUEST: 'validation',
  PROOF_INVALID: 'unprocessable',
  CERTIFICATE_NOT_FOUND: 'not-found',
  NO_CHECKPOINT: 'not-found',
  AUDIT_ENTRY_CONFLICT: 'conflict',
  INVALID_EXPORT_REQUEST: 'validation',
  // The HTTP edge answers it with 501 (export-audit-log.http.controller.ts); 422 elsewhere.
  EXPORT_FORMAT_UNAVAILABLE: 'unprocessable',
};

/** A domain error of the audit context, with its stable code. */
export class AuditError extends CodedError<AuditErrorCode> {
  constructor(
    code: AuditErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, kindOf[code], message, details);
  }
}
