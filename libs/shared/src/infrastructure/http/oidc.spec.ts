import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { TestOidcIssuer } from '../../testing/oidc-issuer';
import { claimAt, OidcVerifier, rolesOf } from './oidc';
import type { CodedError } from '../../domain/domain-error';

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    return (e as CodedError).code;
  }
};

describe('OidcVerifier (against a local JWKS server)', () => {
  let issuer: TestOidcIssuer;
  let verifier: OidcVerifier;

  beforeAll(async () => {
    issuer = await TestOidcIssuer.start();
    verifier = new OidcVerifier({
      issuer: issuer.issuer,
      audience: [TestOidcIssuer.audience],
      jwksUrl: issuer.jwksUrl,
    });
  });
  afterAll(() => issuer.stop());

  it('accepts a token from the issuer and takes its roles from the claim', async () => {
    const token = await issuer.token({ sub: 'alice', roles: ['compliance', 'not-a-lethe-role'] });
    await expect(verifier.verify(token)).resolves.toEqual({
      kind: 'oidc',
      name: 'alice',
      roles: ['compliance'],
    });
  });

  it('reads roles from a dotted path and sources from their claim', async () => {
    const nested = new OidcVerifier({
      issuer: issuer.issuer,
      audience: [TestOidcIssuer.audience],
      jwksUrl: issuer.jwksUrl,
      rolesClaim: 'realm_access.roles',
      sourcesClaim: 'lethe_sources',
    });
    const token = await issuer.token({
      claims: { realm_access: { roles: ['auditor', 'publisher'] }, lethe_sources: 'urn:a urn:b' },
    });
    await expect(nested.verify(token)).resolves.toEqual({
      kind: 'oidc',
      name: 'person-1',
      roles: ['auditor', 'publisher'],
      sources: ['urn:a', 'urn:b'],
    });
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const token = await issuer.token({ roles: ['compliance'], expiresIn: -60 });
    expect(await codeOf(verifier.verify(token))).toBe('TOKEN_EXPIRED');
  });

  it('refuses a forged token, another issuer and another audience with TOKEN_INVALID', async () => {
    for (const o of [
      { forged: true },
      { issuer: 'https://evil.example' },
      { audience: 'another-api' },
    ]) {
      const token = await issuer.token({ roles: ['admin'], ...o });
      expect(await codeOf(verifier.verify(token))).toBe('TOKEN_INVALID');
    }
  });

  it('refuses an unsigned (alg none) token', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none' })}.${b64({
      iss: issuer.issuer,
      aud: TestOidcIssuer.audience,
      sub: 'mallory',
      exp: now + 300,
      roles: ['admin'],
    })}.${b64({})}`;
    expect(await codeOf(verifier.verify(token))).toBe('TOKEN_INVALID');
  });

  it('finds the JWKS through the discovery document when no URL is given', async () => {
    const discovering = new OidcVerifier({
      issuer: issuer.issuer,
      audience: [TestOidcIssuer.audience],
    });
    const token = await issuer.token({ roles: ['ml-admin'] });
    await expect(discovering.verify(token)).resolves.toMatchObject({ roles: ['ml-admin'] });
  });

  it('answers IDENTITY_PROVIDER_UNAVAILABLE when the JWKS cannot be fetched', async () => {
    const offline = new OidcVerifier({
      issuer: issuer.issuer,
      audience: [TestOidcIssuer.audience],
      jwksUrl: 'http://127.0.0.1:1/jwks.json',
      fetchTimeoutMs: 1000,
    });
    const token = await issuer.token({ roles: ['compliance'] });
    expect(await codeOf(offline.verify(token))).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
  });

  describe('verified-token cache', () => {
    /** A verifier whose key look-ups (one per full verification) are counted. */
    const countingVerifier = (verifiedTtlMs?: number) => {
      const jwks = createRemoteJWKSet(new URL(issuer.jwksUrl));
      const counted = { lookups: 0 };
      const keys: JWTVerifyGetKey = (header, token) => {
        counted.lookups++;
        return jwks(header, token);
      };
      const v = new OidcVerifier(
        {
          issuer: issuer.issuer,
          audience: [TestOidcIssuer.audience],
          ...(verifiedTtlMs === undefined ? {} : { verifiedTtlMs }),
        },
        keys,
      );
      return { v, counted };
    };
    afterEach(() => jest.restoreAllMocks());

    it('verifies a token once within its time to live, and again after it', async () => {
      const { v, counted } = countingVerifier(1_000);
      const token = await issuer.token({ sub: 'carol', roles: ['auditor'] });
      const principal = { kind: 'oidc', name: 'carol', roles: ['auditor'] };
      await expect(v.verify(token)).resolves.toEqual(principal);
      await expect(v.verify(token)).resolves.toEqual(principal);
      expect(counted.lookups).toBe(1);
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now + 2_000);
      await expect(v.verify(token)).resolves.toEqual(principal);
      expect(counted.lookups).toBe(2);
    });

    it('refuses a cached token once it has expired, without verifying it again', async () => {
      const { v, counted } = countingVerifier();
      const token = await issuer.token({ roles: ['auditor'], expiresIn: 30 });
      await expect(v.verify(token)).resolves.toMatchObject({ roles: ['auditor'] });
      const now = Date.now();
      // Past exp and the 5 s clock tolerance, within the cache's 60 s.
      jest.spyOn(Date, 'now').mockReturnValue(now + 36_000);
      expect(await codeOf(v.verify(token))).toBe('TOKEN_EXPIRED');
      expect(counted.lookups).toBe(1);
    });

    it('verifies a token that differs in any byte afresh: a cached payload with another signature is refused', async () => {
      const { v } = countingVerifier();
      const token = await issuer.token({ roles: ['admin'] });
      await expect(v.verify(token)).resolves.toMatchObject({ roles: ['admin'] });
      const last = token.at(-2) === 'A' ? 'B' : 'A';
      const tampered = `${token.slice(0, -2)}${last}${token.slice(-1)}`;
      expect(await codeOf(v.verify(tampered))).toBe('TOKEN_INVALID');
      const forged = await issuer.token({ roles: ['admin'], forged: true });
      expect(await codeOf(v.verify(forged))).toBe('TOKEN_INVALID');
    });

    it('keeps nothing with a time to live of 0', async () => {
      const { v, counted } = countingVerifier(0);
      const token = await issuer.token({ roles: ['auditor'] });
      await v.verify(token);
      await v.verify(token);
      expect(counted.lookups).toBe(2);
    });
  });

  it('refuses symmetric algorithms in its allow-list', () => {
    expect(
      () => new OidcVerifier({ issuer: 'https://i', audience: ['a'], algorithms: ['HS256'] }),
    ).toThrow(/asymmetric/);
  });
});

describe('claims', () => {
  it('reads dotted paths, a literal dotted key first', () => {
    expect(claimAt({ a: { b: ['x'] } }, 'a.b')).toEqual(['x']);
    expect(claimAt({ 'a.b': 'literal', a: { b: 'nested' } }, 'a.b')).toBe('literal');
    expect(claimAt({ a: 'scalar' }, 'a.b')).toBeUndefined();
  });

  it('keeps only Lethe roles, from an array or a separated string', () => {
    expect(rolesOf(['admin', 'x', 'admin'])).toEqual(['admin']);
    expect(rolesOf('publisher compliance,auditor')).toEqual(['publisher', 'compliance', 'auditor']);
    expect(rolesOf(42)).toEqual([]);
  });
});
