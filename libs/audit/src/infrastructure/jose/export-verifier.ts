import type { ExportJwsVerifier } from '../../application/verify-export/verify-export';
import { AuditError, AuditErrorCode } from '../../domain/audit.errors';
import { validateCertificatePayload } from '../../domain/certificate/validate-certificate-payload';
import { isExportManifestBody } from '../../domain/export/export-format';
import { isCheckpointBody } from '../../domain/log/checkpoint';
import {
  CERTIFICATE_JWS_TYPE,
  CHECKPOINT_JWS_TYPE,
  EXPORT_MANIFEST_JWS_TYPE,
  verifyCanonicalJson,
} from './jws';

const issuedAtOf = (p: unknown): string | undefined => {
  const v = (p as { issuedAt?: unknown } | null)?.issuedAt;
  return typeof v === 'string' ? v : undefined;
};

/**
 * The signature checks of `lethe verify`, with `jose` and nothing but the given JWKS: the same
 * path (alg, typ, kid, canonical payload, key window) the service uses (jws.ts).
 */
export const joseExportVerifier: ExportJwsVerifier = {
  async certificate(jws, jwks) {
    const { kid, payload } = await verifyCanonicalJson(jws, CERTIFICATE_JWS_TYPE, jwks, issuedAtOf);
    return { kid, certificateId: validateCertificatePayload(payload).certificateId };
  },
  async checkpoint(jws, jwks) {
    const { kid, payload } = await verifyCanonicalJson(jws, CHECKPOINT_JWS_TYPE, jwks, issuedAtOf);
    if (!isCheckpointBody(payload)) {
      throw new AuditError(AuditErrorCode.SIGNATURE_INVALID, 'not a lethe.checkpoint/v1 body', {
        kid,
      });
    }
    return { kid, body: payload };
  },
  async manifest(jws, jwks) {
    const { kid, payload } = await verifyCanonicalJson(
      jws,
      EXPORT_MANIFEST_JWS_TYPE,
      jwks,
      issuedAtOf,
    );
    if (!isExportManifestBody(payload)) {
      throw new AuditError(
        AuditErrorCode.SIGNATURE_INVALID,
        'not a lethe.audit-export-manifest/v1 body',
        { kid },
      );
    }
    return { kid, body: payload };
  },
};
