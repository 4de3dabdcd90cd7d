import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { AuditError, AuditErrorCode } from '../../domain/audit.errors';
import { assertKeyWindows, isValidAt, type KeyValidity } from '../../domain/keys/key-validity';
import type { JwksDocument } from '../../domain/keys/jwks';
import { parsePrivateKey, parsePublicKey, publicJwkMembers } from './ed25519-keys';

/** One key of the ring: the current one holds its private key; retired ones need only the public. */
export interface RingKey extends KeyValidity {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject | null;
}

/**
 * The signing keys: one current key (it signs) and the retired keys (they stay published so that
 * every certificate and checkpoint they signed still verifies, docs/contracts.md §6 invariant 5 and
 * docs/adr/0008-audit-log.md). Immutable: `rotate` returns a new ring.
 */
export class KeyRing {
  private readonly byKid: ReadonlyMap<string, RingKey>;

  private constructor(readonly keys: readonly RingKey[]) {
    assertKeyWindows(keys);
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
    if (!this.current().privateKey) {
      throw new AuditError(AuditErrorCode.KEY_RING_INVALID, 'the current key has no private key');
    }
  }

  static of(keys: readonly RingKey[]): KeyRing {
    return new KeyRing(keys);
  }

  /** The key that signs now (notAfter = null). */
  current(): RingKey & { privateKey: KeyObject } {
    const key = this.keys.find((k) => k.notAfter === null);
    if (!key?.privateKey) {
      throw new AuditError(AuditErrorCode.KEY_RING_INVALID, 'no current key with a private key');
    }
    return key as RingKey & { privateKey: KeyObject };
  }

  find(kid: string): RingKey | undefined {
    return this.byKid.get(kid);
  }

  /** The key that was current at `at`, if any. */
  keyAt(at: Date): RingKey | undefined {
    return this.keys.find((k) => isValidAt(k, at));
  }

  /**
   * A new ring where `next` (private key given) becomes current from `at` and the old current key
   * retires at `at`. The retired key's private half is dropped: it never signs again.
   */
  rotate(next: { kid: string; privateKey: KeyObject }, at: Date): KeyRing {
    const old = this.current();
    const retired: RingKey = { ...old, notAfter: at, privateKey: null };
    const fresh: RingKey = {
      kid: next.kid,
      notBefore: at,
      notAfter: null,
      privateKey: next.privateKey,
      publicKey: createPublicKey(next.privateKey),
    };
    return new KeyRing([...this.keys.filter((k) => k !== old), retired, fresh]);
  }

  /** The JWKS document: every key, current and retired, public parts only, oldest first. */
  jwks(): JwksDocument {
    return {
      keys: [...this.keys]
        .sort((a, b) => a.notBefore.getTime() - b.notBefore.getTime())
        .map((k) => ({
          ...publicJwkMembers(k.publicKey),
          kid: k.kid,
          alg: 'EdDSA' as const,
          use: 'sig' as const,
          notBefore: k.notBefore.toISOString(),
          notAfter: k.notAfter?.toISOString() ?? null,
        })),
    };
  }
}

const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'RFC 3339 date-time')
  .transform((s) => new Date(s));

const keyConfig = z
  .object({
    kid: z.string().min(1),
    notBefore: isoDate,
    notAfter: isoDate.nullable().default(null),
    /** PKCS#8 PEM, private JWK (JSON) or 32-byte seed, inline … */
    privateKey: z.string().optional(),
    /** … or in a file. */
    privateKeyFile: z.string().optional(),
    /** Public key only (retired keys): SPKI PEM or public JWK, inline or in a file. */
    publicKey: z.union([z.string(), z.record(z.unknown())]).optional(),
    publicKeyFile: z.string().optional(),
  })
  .strict();

/**
 * The key ring configuration: `{ "keys": [ { "kid", "notBefore", "notAfter"?, "privateKey" |
 * "privateKeyFile" | "publicKey" | "publicKeyFile" } ] }`. Relative file paths are resolved by
 * the caller's `readFile`.
 */
export const keyRingConfigSchema = z.object({ keys: z.array(keyConfig).min(1) }).strict();
export type KeyRingConfig = z.input<typeof keyRingConfigSchema>;

export function keyRingFromConfig(
  config: unknown,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): KeyRing {
  const parsed = keyRingConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new AuditError(
      AuditErrorCode.KEY_RING_INVALID,
      `invalid key ring configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const keys = parsed.data.keys.map((k): RingKey => {
    const privateMaterial =
      k.privateKey ?? (k.privateKeyFile ? readFile(k.privateKeyFile) : undefined);
    const what = `key ${k.kid}`;
    if (privateMaterial !== undefined) {
      const privateKey = parsePrivateKey(privateMaterial, what);
      return {
        kid: k.kid,
        notBefore: k.notBefore,
        notAfter: k.notAfter,
        privateKey,
        publicKey: createPublicKey(privateKey),
      };
    }
    const publicMaterial = k.publicKey ?? (k.publicKeyFile ? readFile(k.publicKeyFile) : undefined);
    if (publicMaterial === undefined) {
      throw new AuditError(AuditErrorCode.KEY_RING_INVALID, `${what} has no key material`);
    }
    return {
      kid: k.kid,
      notBefore: k.notBefore,
      notAfter: k.notAfter,
      privateKey: null,
      publicKey: parsePublicKey(publicMaterial, what),
    };
  });
  return KeyRing.of(keys);
}

/** Environment variables naming the key ring: inline JSON, or a JSON file. */
export const KeyRingEnv = {
  inline: 'LETHE_AUDIT_KEYRING',
  file: 'LETHE_AUDIT_KEYRING_FILE',
} as const;

/**
 * Loads the key ring from `LETHE_AUDIT_KEYRING` (JSON) or `LETHE_AUDIT_KEYRING_FILE` (path; key
 * files it names resolve against its folder).
 */
export function keyRingFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): KeyRing {
  const inline = env[KeyRingEnv.inline];
  const file = env[KeyRingEnv.file];
  if (inline && file) {
    throw new AuditError(
      AuditErrorCode.KEY_RING_INVALID,
      `set ${KeyRingEnv.inline} or ${KeyRingEnv.file}, not both`,
    );
  }
  const text = inline ?? (file ? readFile(file) : undefined);
  if (text === undefined) {
    throw new AuditError(
      AuditErrorCode.KEY_RING_INVALID,
      `no signing keys: set ${KeyRingEnv.inline} or ${KeyRingEnv.file}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AuditError(
      AuditErrorCode.KEY_RING_INVALID,
      `key ring is not JSON: ${(e as Error).message}`,
    );
  }
  // Key files named in a key ring file are relative to that file.
  const base = file ? path.dirname(path.resolve(file)) : process.cwd();
  return keyRingFromConfig(json, (p) => readFile(path.resolve(base, p)));
}
