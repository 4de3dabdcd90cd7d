import {
  aCertifiedCertificate,
  aNoOpCertificate,
  anExactCertificate,
} from '../../testing/certificate.factory';
import { validateCertificatePayload } from './validate-certificate-payload';

type Mutable = Record<string, unknown> & { guarantee: Record<string, unknown> };
const clone = (v: unknown): Mutable => JSON.parse(JSON.stringify(v)) as Mutable;

function violationsOf(value: unknown): string[] {
  try {
    validateCertificatePayload(value);
    return [];
  } catch (e) {
    expect((e as { code?: string }).code).toBe('INVALID_CERTIFICATE');
    return ((e as { details: { violations: string[] } }).details.violations ?? []).map(String);
  }
}

describe('validateCertificatePayload', () => {
  it.each([
    ['certified newton-lissa', aCertifiedCertificate()],
    ['certified convex-newton', aCertifiedCertificate({ method: 'convex-newton' })],
    ['exact retrain', anExactCertificate()],
    ['exact sisa-shard', anExactCertificate({ method: 'sisa-shard' })],
    ['no-op without model', aNoOpCertificate()],
    [
      'paper-experiment (none)',
      aCertifiedCertificate({
        guarantee: { type: 'none', sigma: 0.01, reason: 'paper-experiment: fixed σ' },
        sequence: {
          index: 2,
          previousCertificateDigest: 'a'.repeat(64),
          cumulativeEpsilon: null,
          cumulativeDelta: null,
        },
      }),
    ],
  ])('accepts a valid %s certificate', (_, cert) => {
    expect(validateCertificatePayload(cert)).toBe(cert);
  });

  it.each(['epsilon', 'delta', 'sigma', 'bound'])(
    'refuses a certified claim without %s',
    (field) => {
      const cert = clone(aCertifiedCertificate());
      delete cert.guarantee[field];
      expect(violationsOf(cert).join('\n')).toContain(`$.guarantee.${field}`);
    },
  );

  it('refuses a raw subject id in subjectRefs, and any subjectId field', () => {
    expect(violationsOf(aCertifiedCertificate({ subjectRefs: ['user-42'] }))).toEqual([
      expect.stringContaining('$.subjectRefs[0]: must be a pseudonymous sr1_ reference'),
    ]);
    const withRaw = clone(anExactCertificate());
    withRaw.evidence = { subjectId: 'user-42' };
    expect(violationsOf(withRaw)).toEqual([expect.stringContaining('$.evidence.subjectId')]);
  });

  it('refuses noise-free values in the evidence', () => {
    const cert = clone(aCertifiedCertificate());
    cert.evidence = { lissa: { S: 1, s: 100, H: 10, b: 64 }, noiseFreeDigest: 'abc' };
    expect(violationsOf(cert)).toEqual([expect.stringContaining('$.evidence.noiseFreeDigest')]);
  });

  it('refuses a σ below what the Gaussian mechanism needs for (ε, δ, Δ)', () => {
    const cert = clone(aCertifiedCertificate());
    cert.guarantee.sigma = (cert.guarantee.sigma as number) / 2;
    expect(violationsOf(cert)).toEqual([expect.stringContaining('$.guarantee.sigma: σ =')]);
  });

  it('refuses an exact method claiming a certified guarantee, and the reverse', () => {
    const retrainCertified = clone(aCertifiedCertificate());
    retrainCertified.method = 'retrain';
    expect(violationsOf(retrainCertified).join('\n')).toContain(
      'cannot claim a certified guarantee',
    );
    const newtonExact = clone(anExactCertificate());
    newtonExact.method = 'newton-lissa';
    expect(violationsOf(newtonExact).join('\n')).toContain('cannot claim an exact guarantee');
  });

  it('refuses an exact claim with ε > 0', () => {
    const cert = clone(anExactCertificate());
    cert.guarantee.epsilon = 0.5;
    expect(violationsOf(cert)).toEqual([expect.stringContaining('exact means ε = 0')]);
  });

  it('refuses a none release that keeps a finite cumulative ε (the chain is poisoned)', () => {
    const cert = aCertifiedCertificate({
      guarantee: { type: 'none', reason: 'paper-experiment' },
      sequence: {
        index: 1,
        previousCertificateDigest: null,
        cumulativeEpsilon: 1,
        cumulativeDelta: 0,
      },
    });
    expect(violationsOf(cert).join('\n')).toContain('poisons the chain');
  });

  it('refuses M listed as measured, and constants in neither list', () => {
    const cert = clone(aCertifiedCertificate());
    cert.guarantee.measured = ['lambdaMin', 'M'];
    cert.guarantee.assumed = ['C', 'lambda', 'rho'];
    expect(violationsOf(cert).join('\n')).toContain('M has no certified estimate');
    const missing = clone(aCertifiedCertificate());
    missing.guarantee.assumed = ['C', 'lambda', 'M'];
    expect(violationsOf(missing).join('\n')).toContain('$.guarantee.assumptions.rho');
  });

  it('refuses a no-op that changes the model, and an update that does not', () => {
    const noop = aNoOpCertificate({
      model: {
        modelId: 'm',
        versionBefore: 1,
        versionAfter: 2,
        digestBefore: 'a'.repeat(64),
        digestAfter: 'b'.repeat(64),
      },
    });
    expect(violationsOf(noop).join('\n')).toContain('a no-op releases no new version');
    const same = anExactCertificate({
      model: {
        modelId: 'm',
        versionBefore: 2,
        versionAfter: 2,
        digestBefore: 'a'.repeat(64),
        digestAfter: 'a'.repeat(64),
      },
    });
    expect(violationsOf(same).join('\n')).toContain('later version');
  });

  it('refuses unknown fields, a wrong schema, a bad timestamp and non-JSON numbers', () => {
    const cert = clone(anExactCertificate());
    cert.extra = 1;
    cert.schema = 'lethe.certificate/v0';
    cert.issuedAt = '29/11/2026';
    expect(violationsOf(cert)).toEqual([
      expect.stringContaining('$.extra: unknown field'),
      expect.stringContaining('$.schema'),
      expect.stringContaining('$.issuedAt'),
    ]);
    expect(() =>
      validateCertificatePayload({ ...anExactCertificate(), evidence: { x: Number.NaN } }),
    ).toThrow(expect.objectContaining({ code: 'NOT_CANONICALIZABLE' }));
  });
});
