import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { CodedError } from '../../domain/domain-error';
import type { Principal } from './principal';
import { ROLES, type Role } from './roles';

/** Signature algorithms accepted by default: asymmetric only (never `none`, never HS*). */
export const DEFAULT_OIDC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^ES256K$/;

export interface OidcOptions {
  /** Expected `iss`, exactly. */
  readonly issuer: string;
  /** Accepted `aud` values (the token needs one of them). */
  readonly audience: readonly string[];
  /**
   * Where the issuer's JWKS is; when absent, `jwks_uri` of the issuer's discovery document
   * (`<issuer>/.well-known/openid-configuration`), fetched once on first use.
   */
  readonly jwksUrl?: string;
  /** Claim holding the roles, a dotted path (e.g. `realm_access.roles`). Default `roles`. */
  readonly rolesClaim?: string;
  /** Claim holding the CloudEvent sources a publisher may act for (optional binding). */
  readonly sourcesClaim?: string;
  /** Allowed `alg` values. Default DEFAULT_OIDC_ALGORITHMS. */
  readonly algorithms?: readonly string[];
  /** Seconds of clock skew tolerated on exp / nbf / iat. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** Time-out of a JWKS or discovery fetch. Default 5000. */
  readonly fetchTimeoutMs?: number;
  /**
   * How long a verified token is trusted without verifying its signature again, in ms (it is
   * still refused once expired). Default 60,000; 0 turns the cache off.
   */
  readonly verifiedTtlMs?: number;
}

/** A token verified earlier: who it names, and until when (ms) it may be taken without a check. */
interface VerifiedToken {
  readonly principal: Principal;
  /** The token's `exp`, in seconds (required: tokens without one are refused). */
  readonly exp: number;
  readonly until: number;
}

/** The most verified tokens kept (the oldest is dropped first). */
const MAX_VERIFIED = 10_000;

/** Reads a claim by dotted path (`realm_access.roles`); a literal key with dots wins. */
export function claimAt(payload: Readonly<Record<string, unknown>>, path: string): unknown {
  if (path in payload) return payload[path];
  let at: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** A claim as a list of strings: an array of strings, or one space- or comma-separated string. */
const stringsOf = (v: unknown): string[] => {
  if (typeof v === 'string') return v.split(/[\s,]+/).filter((s) => s.length > 0);
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string');
  return [];
};

/** The Lethe roles a claim names; values that are not Lethe roles (other apps' groups) are ignored. */
export const rolesOf = (v: unknown): Role[] =>
  [...new Set(stringsOf(v))].filter((r): r is Role => (ROLES as readonly string[]).includes(r));

/**
 * Verifies people's bearer JWTs against the configured issuer's JWKS (`jose`): signature with an
 * allow-listed asymmetric algorithm, `iss`, `aud`, `exp` (required) and `nbf`. Roles come from a
 * configured claim. Errors are coded: TOKEN_EXPIRED and TOKEN_INVALID (401),
 * IDENTITY_PROVIDER_UNAVAILABLE (503) when the JWKS cannot be fetched. A token that verified is
 * taken again without its signature check for `verifiedTtlMs` (60 s), keyed by the SHA-256 of the
 * whole token, and refused as soon as its `exp` has passed; a key the issuer withdraws stops
 * being accepted for a token seen before within that time (docs/adr/0015-authorisation.md).
 */
export class OidcVerifier {
  private keys: JWTVerifyGetKey | undefined;
  private readonly algorithms: string[];
  /**
   * Tokens verified in the last `verifiedTtlMs`, by the SHA-256 of the whole token (header,
   * payload and signature: a token differing in any byte is verified afresh).
   */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly options: OidcOptions,
    /** Tests inject a key set; production fetches the issuer's. */
    keys?: JWTVerifyGetKey,
  ) {
    this.keys = keys;
    this.algorithms = [...(options.algorithms ?? DEFAULT_OIDC_ALGORITHMS)];
    const bad = this.algorithms.filter((a) => !ASYMMETRIC.test(a));
    if (bad.length > 0) throw new Error(`OIDC algorithms must be asymmetric: ${bad.join(', ')}`);
  }

  /** True when `token` has the shape of a compact JWS (three base64url parts). */
  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
  }

  async verify(token: string): Promise<Principal> {
    const ttl = this.options.verifiedTtlMs ?? 60_000;
    const key = ttl > 0 ? createHash('sha256').update(token, 'utf8').digest('base64') : '';
    const cached = ttl > 0 ? this.verified.get(key) : undefined;
    if (cached) {
      const now = Date.now();
      // jose's rule: expired once now ≥ exp + tolerance.
      if (now / 1000 >= cached.exp + (this.options.clockToleranceSeconds ?? 5)) {
        this.verified.delete(key);
        throw new CodedError('TOKEN_EXPIRED', 'unauthenticated', 'the bearer token has expired');
      }
      if (now < cached.until) return cached.principal;
      this.verified.delete(key);
    }
    const { principal, exp } = await this.verifyFully(token);
    if (ttl > 0) {
      if (this.verified.size >= MAX_VERIFIED) {
        const oldest = this.verified.keys().next();
        if (!oldest.done) this.verified.delete(oldest.value);
      }
      // Shared by every request that presents the token: frozen, so none can change it for others.
      for (const v of Object.values(principal)) if (Array.isArray(v)) Object.freeze(v);
      this.verified.set(key, { principal: Object.freeze(principal), exp, until: Date.now() + ttl });
    }
    return principal;
  }

  private async verifyFully(token: string): Promise<{ principal: Principal; exp: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keySet(), {
        issuer: this.options.issuer,
        audience: [...this.options.audience],
        algorithms: this.algorithms,
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (e) {
      throw this.coded(e);
    }
    const sources = this.options.sourcesClaim
      ? stringsOf(claimAt(payload, this.options.sourcesClaim))
      : undefined;
    return {
      principal: {
        kind: 'oidc',
        name: payload.sub ?? 'unknown',
        roles: rolesOf(claimAt(payload, this.options.rolesClaim ?? 'roles')),
        ...(sources !== undefined && sources.length > 0 ? { sources } : {}),
      },
      // Required above (requiredClaims), a number once verified.
      exp: payload.exp ?? 0,
    };
  }

  private async keySet(): Promise<JWTVerifyGetKey> {
    if (this.keys) return this.keys;
    const url = this.options.jwksUrl ?? (await this.discoverJwksUri());
    this.keys = createRemoteJWKSet(new URL(url), {
      timeoutDuration: this.options.fetchTimeoutMs ?? 5000,
    });
    return this.keys;
  }

  private async discoverJwksUri(): Promise<string> {
    const base = this.options.issuer.replace(/\/+$/, '');
    const url = `${base}/.well-known/openid-configuration`;
    try {
      const res = await fetch(url, {
        signal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? 5000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const doc = z.object({ jwks_uri: z.string().url() }).parse(await res.json());
      return doc.jwks_uri;
    } catch (e) {
      throw new CodedError(
        'IDENTITY_PROVIDER_UNAVAILABLE',
        'unavailable',
        `the OIDC discovery document could not be read (${(e as Error).message})`,
      );
    }
  }

  private coded(e: unknown): Error {
    if (e instanceof CodedError) return e;
    if (e instanceof errors.JWTExpired) {
      return new CodedError('TOKEN_EXPIRED', 'unauthenticated', 'the bearer token has expired');
    }
    if (
      e instanceof errors.JWKSTimeout ||
      e instanceof errors.JWKSInvalid ||
      !(e instanceof errors.JOSEError) ||
      // jose's generic error: the JWKS answered something else than 200 OK.
      e.code === 'ERR_JOSE_GENERIC'
    ) {
      // A network failure or time-out fetching the JWKS: not the caller's fault.
      return new CodedError(
        'IDENTITY_PROVIDER_UNAVAILABLE',
        'unavailable',
        'the identity provider’s keys could not be fetched',
      );
    }
    const reason =
      e instanceof errors.JWTClaimValidationFailed
        ? `claim ${e.claim} ${e.reason}`
        : e instanceof errors.JWKSNoMatchingKey
          ? 'no key of the issuer matches the token'
          : e instanceof errors.JWSSignatureVerificationFailed
            ? 'signature verification failed'
            : e instanceof errors.JOSEAlgNotAllowed
              ? 'algorithm not allowed'
              : 'malformed token';
    return new CodedError('TOKEN_INVALID', 'unauthenticated', `invalid bearer token: ${reason}`);
  }
}
