import type { CertificatePayload } from '../../domain/certificate/certificate-payload';
import type { ExportManifestBody } from '../../domain/export/export-format';
import type { JwksDocument } from '../../domain/keys/jwks';
import type { CheckpointBody } from '../../domain/log/checkpoint';

export interface VerifiedCertificate {
  readonly jws: string;
  readonly kid: string;
  readonly payload: CertificatePayload;
}

export interface VerifiedCheckpoint {
  readonly jws: string;
  readonly kid: string;
  readonly body: CheckpointBody;
}

/**
 * Signing and verification with the key ring (adapter: infrastructure/jose). Verification goes
 * through the published JWKS, exactly as an auditor's would.
 */
export interface AuditSigner {
  signCertificate(payload: CertificatePayload): Promise<string>;
  verifyCertificate(jws: string): Promise<VerifiedCertificate>;
  signCheckpoint(body: CheckpointBody): Promise<string>;
  verifyCheckpoint(jws: string): Promise<VerifiedCheckpoint>;
  /** Signs an export manifest (typ lethe-export-manifest+jwt) with the current key. */
  signManifest(body: ExportManifestBody): Promise<string>;
  jwks(): JwksDocument;
}

export const AUDIT_SIGNER = Symbol('AuditSigner');
