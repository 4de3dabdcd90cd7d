import { createHash, randomUUID } from 'node:crypto';
import {
  CERTIFICATE_SCHEMA,
  type CertificatePayload,
  type CertifiedUpdateCertificate,
  type ExactUpdateCertificate,
  type NoOpCertificate,
} from '../domain/certificate/certificate-payload';
import { classicalGaussianSigma } from '../domain/certificate/validate-certificate-payload';

/** Test factories: valid certificates of each kind, with overrides. Not for production code. */
const hex = (s: string): string => createHash('sha256').update(s).digest('hex');
export const subjectRefFor = (subject: string): string =>
  `sr1_${createHash('sha256').update(`test-key:${subject}`).digest('base64url')}`;

const base = (over: Partial<CertificatePayload> = {}) => ({
  certificateId: `cert-${randomUUID()}`,
  schema: CERTIFICATE_SCHEMA,
  issuedAt: '2026-11-29T12:00:00Z',
  requestIds: [`req-${randomUUID()}`],
  subjectRefs: [subjectRefFor('user-42')],
  sequence: {
    index: 1,
    previousCertificateDigest: null,
    cumulativeEpsilon: 0,
    cumulativeDelta: 0,
  },
  evidence: { accuracy: { before: 0.91, after: 0.9 }, backend: 'cpu' },
  producer: { workerId: 'worker-1', codeVersion: '0.1.0' },
  ...over,
});

const model = {
  modelId: 'mnist-demo',
  versionBefore: 1,
  versionAfter: 2,
  digestBefore: hex('v1'),
  digestAfter: hex('v2'),
};

export function aCertifiedCertificate(
  over: Partial<CertifiedUpdateCertificate> = {},
): CertifiedUpdateCertificate {
  const epsilon = 1;
  const delta = 1e-5;
  const bound = 0.05;
  return {
    ...base(),
    method: 'newton-lissa',
    model,
    guarantee: {
      type: 'certified',
      epsilon,
      delta,
      bound,
      sigma: classicalGaussianSigma(bound, epsilon, delta),
      assumptions: { C: 10, lambda: 0.01, M: 1, lambdaMin: 0.002, rho: 1e-6 },
      measured: ['lambdaMin'],
      assumed: ['C', 'lambda', 'M', 'rho'],
    },
    sequence: {
      index: 1,
      previousCertificateDigest: null,
      cumulativeEpsilon: 1,
      cumulativeDelta: 1e-5,
    },
    ...over,
  } as CertifiedUpdateCertificate;
}

export function anExactCertificate(
  over: Partial<ExactUpdateCertificate> = {},
): ExactUpdateCertificate {
  return {
    ...base(),
    method: 'retrain',
    model,
    guarantee: { type: 'exact', epsilon: 0, delta: 0 },
    ...over,
  } as ExactUpdateCertificate;
}

export function aNoOpCertificate(over: Partial<NoOpCertificate> = {}): NoOpCertificate {
  return {
    ...base(),
    method: 'no-op',
    model: null,
    guarantee: { type: 'exact', epsilon: 0, delta: 0 },
    ...over,
  } as NoOpCertificate;
}
