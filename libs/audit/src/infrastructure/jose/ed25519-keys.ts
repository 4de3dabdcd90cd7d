import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { AuditError, AuditErrorCode } from '../../domain/audit.errors';

/**
 * Ed25519 key material in the forms a deployment hands us: PKCS#8 PEM (what `openssl genpkey
 * -algorithm ed25519` writes), a private or public JWK (RFC 8037, `kty: OKP`, `crv: Ed25519`), or
 * a 32-byte seed (hex or base64url). Parsing is Node's; nothing here does curve arithmetic.
 */

/** DER prefix of a PKCS#8 Ed25519 private key (RFC 8410 §7): the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function invalid(message: string): never {
  throw new AuditError(AuditErrorCode.KEY_RING_INVALID, message);
}

function assertEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') invalid(`${what} is not an Ed25519 key`);
  return key;
}

/** The private key whose RFC 8032 secret (seed) is `seed` (32 bytes). */
export function ed25519PrivateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) invalid(`an Ed25519 seed has 32 bytes, got ${seed.length}`);
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

/** Parses a private key: PKCS#8 PEM, a private JWK (JSON text), or a seed (64 hex / 43 base64url). */
export function parsePrivateKey(material: string, what = 'private key'): KeyObject {
  const text = material.trim();
  try {
    if (text.startsWith('-----BEGIN')) return assertEd25519(createPrivateKey(text), what);
    if (text.startsWith('{')) {
      const jwk = JSON.parse(text) as Record<string, unknown>;
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
        invalid(`${what}: expected a private OKP Ed25519 JWK`);
      }
      return ed25519PrivateKeyFromSeed(Buffer.from(jwk.d, 'base64url'));
    }
    if (/^[0-9a-fA-F]{64}$/.test(text)) return ed25519PrivateKeyFromSeed(Buffer.from(text, 'hex'));
    if (/^[A-Za-z0-9_-]{43}$/.test(text)) {
      return ed25519PrivateKeyFromSeed(Buffer.from(text, 'base64url'));
    }
  } catch (e) {
    if (e instanceof AuditError) throw e;
    invalid(`${what} does not parse: ${(e as Error).message}`);
  }
  return invalid(`${what}: expected PKCS#8 PEM, a private JWK or a 32-byte seed`);
}

/** Parses a public key: SPKI PEM or a public JWK (JSON text or object). */
export function parsePublicKey(
  material: string | Record<string, unknown>,
  what = 'public key',
): KeyObject {
  try {
    if (typeof material === 'string' && material.trim().startsWith('-----BEGIN')) {
      return assertEd25519(createPublicKey(material.trim()), what);
    }
    const jwk = (typeof material === 'string' ? JSON.parse(material) : material) as Record<
      string,
      unknown
    >;
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
      invalid(`${what}: expected a public OKP Ed25519 JWK`);
    }
    return assertEd25519(
      createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }),
      what,
    );
  } catch (e) {
    if (e instanceof AuditError) throw e;
    return invalid(`${what} does not parse: ${(e as Error).message}`);
  }
}

/** The raw 32-byte public key (RFC 8032 encoding). */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.from(jwk.x as string, 'base64url');
}

/** The public JWK members (kty, crv, x) of an Ed25519 key. */
export function publicJwkMembers(publicKey: KeyObject): { kty: 'OKP'; crv: 'Ed25519'; x: string } {
  return { kty: 'OKP', crv: 'Ed25519', x: rawPublicKey(publicKey).toString('base64url') };
}

/** A fresh Ed25519 key pair (for tests, local runs and `rotate`). */
export function generateEd25519(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}
