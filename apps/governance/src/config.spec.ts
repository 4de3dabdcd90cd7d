import { generateEd25519 } from '@lethe/audit';
import { ConfigValidationError } from '@lethe/shared/config';
import { loadGovernanceConfig, oidcOptionsOf } from './config';

const base = {
  DATABASE_URL: 'postgres://lethe:x@localhost:5432/lethe',
  KAFKA_BROKERS: 'localhost:9092',
  LETHE_API_KEYS: 'crm:crm-key-0000000001:publisher',
  LETHE_SUBJECT_HMAC_KEY: 'unit-subject-hmac-key-0123456789abcdef',
};
const ring = () =>
  JSON.stringify({
    keys: [
      {
        kid: 'k1',
        notBefore: '2026-01-01T00:00:00Z',
        privateKey: generateEd25519()
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
      },
    ],
  });
const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadGovernanceConfig(env);
    return [];
  } catch (e) {
    if (e instanceof ConfigValidationError) return e.problems;
    throw e;
  }
};

describe('governance configuration: the audit key ring', () => {
  it('is required in production, listed with the other problems', () => {
    const problems = problemsOf({ ...base, NODE_ENV: 'production', PORT: 'nope' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(
      /LETHE_AUDIT_KEYRING or LETHE_AUDIT_KEYRING_FILE: required in production/,
    );
    expect(problemsOf({ ...base, NODE_ENV: 'production', LETHE_AUDIT_KEYRING: ring() })).toEqual(
      [],
    );
    expect(
      problemsOf({ ...base, NODE_ENV: 'production', LETHE_AUDIT_KEYRING_FILE: '/run/ring.json' }),
    ).toEqual([]);
  });

  it('is optional elsewhere (main.ts makes a development ring)', () => {
    expect(problemsOf({ ...base, NODE_ENV: 'development' })).toEqual([]);
  });

  it('refuses both variables at once, and an inline ring that does not load', () => {
    expect(
      problemsOf({ ...base, LETHE_AUDIT_KEYRING: ring(), LETHE_AUDIT_KEYRING_FILE: '/x.json' }),
    ).toEqual([expect.stringMatching(/^LETHE_AUDIT_KEYRING: set it or LETHE_AUDIT_KEYRING_FILE/)]);
    expect(problemsOf({ ...base, LETHE_AUDIT_KEYRING: '{"keys":[]}' })).toEqual([
      expect.stringMatching(/^LETHE_AUDIT_KEYRING: invalid key ring configuration/),
    ]);
  });
});

describe('governance configuration: OIDC sign-in for people', () => {
  const oidc = {
    LETHE_OIDC_ISSUER: 'https://idp.example/realms/lethe',
    LETHE_OIDC_AUDIENCE: 'lethe-api,lethe-dashboard',
  };

  it('is off without an issuer, and on with an issuer and an audience', () => {
    expect(oidcOptionsOf(loadGovernanceConfig(base))).toBeUndefined();
    expect(
      oidcOptionsOf(
        loadGovernanceConfig({ ...base, ...oidc, LETHE_OIDC_ROLES_CLAIM: 'realm_access.roles' }),
      ),
    ).toEqual({
      issuer: 'https://idp.example/realms/lethe',
      audience: ['lethe-api', 'lethe-dashboard'],
      rolesClaim: 'realm_access.roles',
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      clockToleranceSeconds: 5,
    });
  });

  it('needs both issuer and audience, https in production, asymmetric algorithms', () => {
    expect(problemsOf({ ...base, LETHE_OIDC_ISSUER: oidc.LETHE_OIDC_ISSUER })).toEqual([
      expect.stringMatching(/^LETHE_OIDC_AUDIENCE: required/),
    ]);
    expect(problemsOf({ ...base, LETHE_OIDC_AUDIENCE: 'x' })).toEqual([
      expect.stringMatching(/^LETHE_OIDC_ISSUER: required/),
    ]);
    expect(
      problemsOf({
        ...base,
        ...oidc,
        NODE_ENV: 'production',
        LETHE_AUDIT_KEYRING: ring(),
        LETHE_OIDC_ISSUER: 'http://idp.example',
      }),
    ).toEqual([expect.stringMatching(/^LETHE_OIDC_ISSUER: must be https in production/)]);
    expect(problemsOf({ ...base, ...oidc, LETHE_OIDC_ALGORITHMS: 'RS256,HS256' })).toEqual([
      expect.stringMatching(/^LETHE_OIDC_ALGORITHMS\.1: asymmetric JWS algorithms only/),
    ]);
  });

  it('reads source bindings in LETHE_API_KEYS', () => {
    const config = loadGovernanceConfig({
      ...base,
      LETHE_API_KEYS: 'crm:crm-key-0000000001:publisher:urn:lethe:app:crm|urn:lethe:app:eu',
    });
    expect(config.LETHE_API_KEYS[0]?.sources).toEqual(['urn:lethe:app:crm', 'urn:lethe:app:eu']);
  });
});
