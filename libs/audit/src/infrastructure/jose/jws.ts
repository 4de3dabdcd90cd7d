import { createHash, type KeyObject } from 'node:crypto';
import {
  CompactSign,
  compactVerify,
  decodeProtectedHeader,
  type CompactJWSHeaderParameters,
} from 'jose';
import { AuditError, AuditErrorCode } from '../../domain/audit.errors';
import { canonicalJsonBytes } from '@lethe/shared/domain';
import { isValidAt } from '../../domain/keys/key-validity';
import { parsePublicKey } from './ed25519-keys';
import type { JwksDocument, PublishedJwk } from '../../domain/keys/jwks';
import type { KeyRing } from './key-ring';

/** JWS `typ` of a certificate and of a checkpoint (docs/adr/0008-audit-log.md). */
export const CERTIFICATE_JWS_TYPE = 'lethe-certificate+jwt';
export const CHECKPOINT_JWS_TYPE = 'lethe-checkpoint+jwt';
/** JWS `typ` of an export manifest (docs/adr/0016-audit-export.md). */
export const EXPORT_MANIFEST_JWS_TYPE = 'lethe-export-manifest+jwt';

/**
 * The one signing path: a compact JWS (RFC 7515) with the given protected header over `payload`,
 * signed by `jose` with an Ed25519 key (alg EdDSA, RFC 8037).
 */
export async function signCompactJws(
  header: CompactJWSHeaderParameters,
  payload: Uint8Array,
  privateKey: KeyObject,
): Promise<string> {
  return new CompactSign(payload).setProtectedHeader(header).sign(privateKey);
}

/**
 * Signs `value` as RFC 8785 canonical JSON with the ring's current key, header
 * `{ alg: EdDSA, kid, typ }`. Refuses when `issuedAt` lies outside the current key's window: a
 * signature the published windows would later reject is never produced.
 */
export async function signCanonicalJson(
  value: unknown,
  typ: string,
  issuedAt: Date,
  ring: KeyRing,
): Promise<string> {
  const key = ring.current();
  if (!isValidAt(key, issuedAt)) {
    throw new AuditError(
      AuditErrorCode.KEY_NOT_VALID_AT_ISSUE_TIME,
      `the current key ${key.kid} is not valid at ${issuedAt.toISOString()}`,
      { kid: key.kid },
    );
  }
  return signCompactJws(
    { alg: 'EdDSA', kid: key.kid, typ },
    canonicalJsonBytes(value),
    key.privateKey,
  );
}

export interface VerifiedJws {
  readonly kid: string;
  /** The payload, parsed from its (checked canonical) JSON. */
  readonly payload: unknown;
  /** The published key that verified it. */
  readonly key: PublishedJwk;
}

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new AuditError(AuditErrorCode.SIGNATURE_INVALID, message, details);
}

/**
 * Verifies a compact JWS against a JWKS document, the way an auditor would with the published
 * `/.well-known/jwks.json`: alg must be EdDSA, `typ` must match, the key is picked by `kid`, the
 * signature is checked by `jose`, the payload must be canonical JSON, and `issuedAtOf(payload)`
 * must fall inside that key's validity window.
 */
export async function verifyCanonicalJson(
  jws: string,
  typ: string,
  jwks: JwksDocument,
  issuedAtOf: (payload: unknown) => string | undefined,
): Promise<VerifiedJws> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch (e) {
    return invalid(`not a compact JWS: ${(e as Error).message}`);
  }
  if (header.alg !== 'EdDSA') invalid(`alg ${String(header.alg)} is not EdDSA`);
  if (header.typ !== typ) invalid(`typ ${String(header.typ)} is not ${typ}`);
  const kid = header.kid;
  if (typeof kid !== 'string') return invalid('the JWS names no kid');
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk) return invalid(`unknown key ${kid}`, { kid });
  let payloadBytes: Uint8Array;
  try {
    const result = await compactVerify(jws, parsePublicKey({ ...jwk }), { algorithms: ['EdDSA'] });
    payloadBytes = result.payload;
  } catch (e) {
    if (e instanceof AuditError) throw e;
    return invalid(`signature does not verify with key ${kid}: ${(e as Error).message}`, { kid });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
  } catch {
    return invalid('payload is not JSON', { kid });
  }
  if (!canonicalJsonBytes(payload).equals(Buffer.from(payloadBytes))) {
    invalid('payload is not RFC 8785 canonical JSON', { kid });
  }
  const issuedAt = issuedAtOf(payload);
  const at = issuedAt === undefined ? Number.NaN : Date.parse(issuedAt);
  if (Number.isNaN(at)) invalid('payload has no issuedAt', { kid });
  const window = {
    kid,
    notBefore: new Date(jwk.notBefore),
    notAfter: jwk.notAfter === null ? null : new Date(jwk.notAfter),
  };
  if (!isValidAt(window, new Date(at))) {
    throw new AuditError(
      AuditErrorCode.KEY_NOT_VALID_AT_ISSUE_TIME,
      `key ${kid} signs from ${jwk.notBefore} to ${jwk.notAfter ?? 'now'}, not at ${issuedAt}`,
      { kid, issuedAt },
    );
  }
  return { kid, payload, key: jwk };
}

/** Hex SHA-256 of a JWS's compact text: how certificates chain to each other. */
export function jwsDigest(jws: string): string {
  return createHash('sha256').update(jws, 'ascii').digest('hex');
}
