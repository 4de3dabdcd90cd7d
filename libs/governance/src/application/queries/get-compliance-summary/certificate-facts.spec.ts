import {
  JoseAuditSigner,
  KeyRing,
  entryLeafData,
  generateEd25519,
  type CertificatePayload,
} from '@lethe/audit';
import {
  aCertifiedCertificate,
  aNoOpCertificate,
  anExactCertificate,
} from '@lethe/audit/testing/certificate.factory';
import { certificateFactsOf, versionAccuracy } from './certificate-facts';

/** What the audit log stores for a certificate: the canonical JSON of the entry over its JWS. */
const { privateKey, publicKey } = generateEd25519();
const signer = new JoseAuditSigner(
  KeyRing.of([
    {
      kid: 'k1',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: null,
      privateKey,
      publicKey,
    },
  ]),
);
const leafOf = async (payload: CertificatePayload): Promise<Buffer> =>
  entryLeafData({
    kind: 'certificate',
    certificateId: payload.certificateId,
    jws: await signer.signCertificate(payload),
  });

describe('certificate facts from the audit log', () => {
  it('reads the public figures of a signed certified certificate', async () => {
    const payload = aCertifiedCertificate({
      certificateId: 'cert-1',
      issuedAt: '2026-11-29T12:00:00Z',
      sequence: {
        index: 3,
        previousCertificateDigest: 'a'.repeat(64),
        cumulativeEpsilon: 2.5,
        cumulativeDelta: 3e-5,
      },
    });
    const facts = certificateFactsOf(await leafOf(payload));
    expect(facts).toEqual({
      certificateId: 'cert-1',
      issuedAt: '2026-11-29T12:00:00.000Z',
      method: 'newton-lissa',
      guaranteeType: 'certified',
      epsilon: 1,
      delta: 1e-5,
      sigma: payload.guarantee.type === 'certified' ? payload.guarantee.sigma : NaN,
      modelId: 'mnist-demo',
      versionBefore: 1,
      versionAfter: 2,
      sequenceIndex: 3,
      cumulativeEpsilon: 2.5,
      cumulativeDelta: 3e-5,
      accuracyBefore: { value: 0.91, metric: 'certificate:evidence.accuracy.before' },
      accuracyAfter: { value: 0.9, metric: 'certificate:evidence.accuracy.after' },
    });
  });

  it('reads exact and no-op certificates (no model, no σ)', async () => {
    expect(certificateFactsOf(await leafOf(anExactCertificate()))).toMatchObject({
      method: 'retrain',
      guaranteeType: 'exact',
      epsilon: 0,
      sigma: null,
    });
    expect(certificateFactsOf(await leafOf(aNoOpCertificate()))).toMatchObject({
      method: 'no-op',
      modelId: null,
      versionAfter: null,
    });
  });

  it('never reads accuracy on the forgotten or the remaining training records', async () => {
    const payload = aCertifiedCertificate({
      evidence: { accuracy: { forget: { accuracy: 0.99 }, retain: { accuracy: 0.97 } } },
    });
    const facts = certificateFactsOf(await leafOf(payload));
    expect(facts?.accuracyAfter).toBeNull();
    expect(facts?.accuracyBefore).toBeNull();
    const test = certificateFactsOf(
      await leafOf(
        aCertifiedCertificate({ evidence: { accuracy: { test: { accuracy: 0.88, loss: 0.3 } } } }),
      ),
    );
    expect(test?.accuracyAfter).toEqual({
      value: 0.88,
      metric: 'certificate:evidence.accuracy.test',
    });
  });

  it('skips what is not a certificate entry', () => {
    expect(certificateFactsOf('not json')).toBeNull();
    expect(certificateFactsOf(JSON.stringify({ kind: 'outcome', outcomeId: 'x' }))).toBeNull();
    expect(certificateFactsOf(JSON.stringify({ kind: 'certificate', jws: 'a.b.c' }))).toBeNull();
  });

  it("takes a version's accuracy from its public metrics: test, then plain, then training", () => {
    expect(versionAccuracy({ trainAccuracy: 0.9, testAccuracy: 0.85 })).toEqual({
      value: 0.85,
      metric: 'metrics:testAccuracy',
    });
    expect(versionAccuracy({ trainAccuracy: 0.9, trainLoss: 0.2 })).toEqual({
      value: 0.9,
      metric: 'metrics:trainAccuracy',
    });
    expect(versionAccuracy({ accuracy: 7 })).toBeNull();
    expect(versionAccuracy(null)).toBeNull();
  });
});
