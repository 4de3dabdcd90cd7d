import { Query } from '@nestjs/cqrs';
import type { CertificateIndexFilters } from '../../ports/certificate-index.port';

/** A listed certificate: what the index knows of it and its compact JWS (verify with the JWKS). */
export interface CertificateSummary {
  readonly certificateId: string;
  /** Its Merkle leaf index in the audit log. */
  readonly leafIndex: number;
  readonly issuedAt: string;
  /** Null for a `no-op` certificate (no model was touched). */
  readonly modelId: string | null;
  readonly method: string;
  readonly guaranteeType: string;
  readonly subjectRefs: readonly string[];
  readonly requestIds: readonly string[];
  readonly jws: string;
}

export interface CertificatePage {
  readonly items: readonly CertificateSummary[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** Certificates in (issuedAt, leaf index) order, filtered, from `cursor` on. */
export class ListCertificatesQuery extends Query<CertificatePage> {
  constructor(
    readonly filters: Omit<CertificateIndexFilters, 'after' | 'limit'>,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
