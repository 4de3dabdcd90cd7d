import type { KeyObject } from 'node:crypto';
import type {
  AuditSigner,
  VerifiedCertificate,
  VerifiedCheckpoint,
} from '../../application/ports/signing.port';
import { AuditError, AuditErrorCode } from '../../domain/audit.errors';
import type { CertificatePayload } from '../../domain/certificate/certificate-payload';
import { validateCertificatePayload } from '../../domain/certificate/validate-certificate-payload';
import type { ExportManifestBody } from '../../domain/export/export-format';
import type { JwksDocument } from '../../domain/keys/jwks';
import { isCheckpointBody, type CheckpointBody } from '../../domain/log/checkpoint';
import {
  CERTIFICATE_JWS_TYPE,
  CHECKPOINT_JWS_TYPE,
  EXPORT_MANIFEST_JWS_TYPE,
  signCanonicalJson,
  verifyCanonicalJson,
} from './jws';
import type { KeyRing } from './key-ring';

const issuedAtOf = (p: unknown): string | undefined => {
  const v = (p as { issuedAt?: unknown } | null)?.issuedAt;
  return typeof v === 'string' ? v : undefined;
};

/**
 * Certificates and checkpoints as Ed25519 JWS with `jose`, keys from the key ring. Verification
 * uses only the ring's public JWKS, the document `/.well-known/jwks.json` serves.
 */
export class JoseAuditSigner implements AuditSigner {
  constructor(private ring: KeyRing) {}

  keyRing(): KeyRing {
    return this.ring;
  }

  /** Makes `next` the current key from `at`; the old key retires and stays in the JWKS. */
  rotate(next: { kid: string; privateKey: KeyObject }, at: Date): void {
    this.ring = this.ring.rotate(next, at);
  }

  jwks(): JwksDocument {
    return this.ring.jwks();
  }

  async signCertificate(payload: CertificatePayload): Promise<string> {
    const valid = validateCertificatePayload(payload);
    return signCanonicalJson(valid, CERTIFICATE_JWS_TYPE, new Date(valid.issuedAt), this.ring);
  }

  async verifyCertificate(jws: string): Promise<VerifiedCertificate> {
    const { kid, payload } = await verifyCanonicalJson(
      jws,
      CERTIFICATE_JWS_TYPE,
      this.ring.jwks(),
      issuedAtOf,
    );
    return { jws, kid, payload: validateCertificatePayload(payload) };
  }

  async signCheckpoint(body: CheckpointBody): Promise<string> {
    return signCanonicalJson(body, CHECKPOINT_JWS_TYPE, new Date(body.issuedAt), this.ring);
  }

  async signManifest(body: ExportManifestBody): Promise<string> {
    return signCanonicalJson(body, EXPORT_MANIFEST_JWS_TYPE, new Date(body.issuedAt), this.ring);
  }

  async verifyCheckpoint(jws: string): Promise<VerifiedCheckpoint> {
    const { kid, payload } = await verifyCanonicalJson(
      jws,
      CHECKPOINT_JWS_TYPE,
      this.ring.jwks(),
      issuedAtOf,
    );
    if (!isCheckpointBody(payload)) {
      throw new AuditError(AuditErrorCode.SIGNATURE_INVALID, 'not a lethe.checkpoint/v1 body', {
        kid,
      });
    }
    return { jws, kid, body: payload };
  }
}
