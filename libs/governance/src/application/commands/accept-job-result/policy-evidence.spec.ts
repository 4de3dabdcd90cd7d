import {
  aCertifiedCertificate,
  anExactCertificate,
  aNoOpCertificate,
} from '@lethe/audit/testing/certificate.factory';
import { policyChoiceReason } from '../../../domain/shared/policy-choice';
import { policyChoiceOf } from './policy-evidence';

const fallback = {
  chosen: 'retrain',
  tried: [
    { method: 'convex-newton', outcome: 'refused', reasons: ['private-check-failed'] },
    { method: 'retrain', outcome: 'chosen', reasons: [] },
  ],
};
const withPolicy = (policy: unknown, method: 'retrain' | 'sisa-shard' = 'retrain') =>
  anExactCertificate({ method, evidence: { backend: 'cpu', policy } });

describe('the policy’s choice read from a verified certificate', () => {
  it('reads a fallback to retrain, and says it in the worker’s one-line form', () => {
    const reading = policyChoiceOf(withPolicy(fallback));
    expect(reading).toEqual({ policy: fallback, problem: null });
    expect(reading.policy && policyChoiceReason(reading.policy)).toBe(
      'convex-newton refused (private-check-failed); retrain chosen',
    );
  });

  it('maps the policy’s newton to the certificate’s newton-lissa', () => {
    const policy = {
      chosen: 'newton',
      tried: [{ method: 'newton', outcome: 'chosen', reasons: ['certified-within-policy'] }],
    };
    const cert = aCertifiedCertificate({ evidence: { policy } });
    expect(policyChoiceOf(cert)).toEqual({ policy, problem: null });
  });

  it('records nothing, without a problem, when the certificate states no policy', () => {
    expect(policyChoiceOf(aNoOpCertificate())).toEqual({ policy: null, problem: null });
    expect(policyChoiceOf(anExactCertificate())).toEqual({ policy: null, problem: null });
  });

  it.each([
    ['not an object', 'retrain'],
    ['an unknown chosen method', { ...fallback, chosen: 'magic' }],
    ['a prototype key as the method', { ...fallback, chosen: 'toString' }],
    ['a choice that is not the certificate’s method', { ...fallback, chosen: 'sisa-shard' }],
    ['no attempts', { chosen: 'retrain', tried: [] }],
    [
      'free text as a reason (it could carry an identifier)',
      {
        chosen: 'retrain',
        tried: [
          { method: 'newton', outcome: 'refused', reasons: ['subject user-42 too influential'] },
          { method: 'retrain', outcome: 'chosen', reasons: [] },
        ],
      },
    ],
    [
      'a measured value as a reason',
      {
        chosen: 'retrain',
        tried: [
          { method: 'newton', outcome: 'refused', reasons: ['0.8731'] },
          { method: 'retrain', outcome: 'chosen', reasons: [] },
        ],
      },
    ],
    [
      'an outcome other than chosen or refused',
      { chosen: 'retrain', tried: [{ method: 'retrain', outcome: 'maybe', reasons: [] }] },
    ],
    [
      'two chosen attempts',
      {
        chosen: 'retrain',
        tried: [
          { method: 'newton', outcome: 'chosen', reasons: [] },
          { method: 'retrain', outcome: 'chosen', reasons: [] },
        ],
      },
    ],
    [
      'chosen absent from the attempts',
      { chosen: 'retrain', tried: [{ method: 'newton', outcome: 'refused', reasons: [] }] },
    ],
  ])('does not record a policy with %s, and says why', (_what, policy) => {
    const reading = policyChoiceOf(withPolicy(policy));
    expect(reading.policy).toBeNull();
    expect(reading.problem).toMatch(/^evidence\.policy not recorded: /);
  });

  it('keeps a sisa-shard choice for a sisa-shard certificate', () => {
    const policy = {
      chosen: 'sisa-shard',
      tried: [{ method: 'sisa-shard', outcome: 'chosen', reasons: [] }],
    };
    expect(policyChoiceOf(withPolicy(policy, 'sisa-shard'))).toEqual({ policy, problem: null });
  });
});
