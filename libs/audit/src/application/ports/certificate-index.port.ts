/** What `GET /v1/certificates` filters on (all optional; lists combine them with AND). */
export interface CertificateIndexFilters {
  readonly modelId?: string;
  /** Certificates naming any of these pseudonymous subject references. */
  readonly subjectRefs?: readonly string[];
  /** issuedAt ≥ from and < to. */
  readonly from?: Date;
  readonly to?: Date;
  readonly methods?: readonly string[];
  readonly guaranteeTypes?: readonly string[];
  /** Strictly after this position of the order (issuedAt µs, leaf index). */
  readonly after?: { readonly issuedAtMicros: string; readonly leafIndex: number };
  readonly limit: number;
}

/** One certificate of the log as the index holds it, with its compact JWS. */
export interface IndexedCertificate {
  readonly certificateId: string;
  readonly leafIndex: number;
  /** RFC 3339, as signed. */
  readonly issuedAt: string;
  /** issuedAt in epoch microseconds (the cursor's sort key). */
  readonly issuedAtMicros: string;
  /** Null for a `no-op` certificate (no model was touched). */
  readonly modelId: string | null;
  readonly method: string;
  readonly guaranteeType: string;
  readonly subjectRefs: readonly string[];
  readonly requestIds: readonly string[];
  readonly jws: string;
}

/**
 * The certificates of the audit log by the fields of their signed payload, in (issuedAt, leaf
 * index) order (adapter: infrastructure/postgres, table audit_certificates).
 */
export interface CertificateIndex {
  list(filters: CertificateIndexFilters): Promise<IndexedCertificate[]>;
}

export const CERTIFICATE_INDEX = Symbol('CertificateIndex');

/** Turns a raw subject id into its pseudonymous reference (the governance HMAC), when given. */
export type SubjectRefOf = (subjectId: string) => string;
export const SUBJECT_REF_OF = Symbol('SubjectRefOf');
