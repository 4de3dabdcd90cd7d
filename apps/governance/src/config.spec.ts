import { generateEd25519 } from '@lethe/audit';
import { ConfigValidationError } from '@lethe/shared/config';
import { loadGovernanceConfig } from './config';

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
