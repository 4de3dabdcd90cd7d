import { createHash } from 'node:crypto';
import {
  aCertifiedCertificate,
  aNoOpCertificate,
  subjectRefFor,
} from '@lethe/audit/testing/certificate.factory';
import type { CertificatePayload } from '@lethe/audit';
import { DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type { ExistingJob } from '../../../domain/job/job.state';
import { certificateMismatches, type SucceededResult } from './certificate-match';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const ref = subjectRefFor('user-42');

const job = (over: Partial<ExistingJob> = {}): ExistingJob => ({
  status: 'running',
  jobId: JobId('job-1'),
  modelId: ModelId('mnist-demo'),
  requestIds: [DeletionRequestId('req-1'), DeletionRequestId('req-2')],
  subjectRefs: [SubjectRef(ref)],
  baseVersion: 1,
  maxAttempts: 3,
  attempt: 1,
  attemptsInRound: 1,
  nextAttemptAt: null,
  reason: null,
  versionAfter: null,
  certificateId: null,
  method: null,
  policy: null,
  scheduledAt: '2026-11-29T12:00:00.000Z',
  progress: null,
  lastRefusal: null,
  ...over,
});

const certified = (over: Partial<CertificatePayload> = {}) =>
  aCertifiedCertificate({
    certificateId: 'cert-1',
    requestIds: ['req-2', 'req-1'],
    subjectRefs: [ref],
    ...(over as object),
  });

const resultOf = (p: CertificatePayload, over: Partial<SucceededResult> = {}): SucceededResult => ({
  kind: 'succeeded',
  jobId: 'job-1',
  modelId: 'mnist-demo',
  attempt: 1,
  workerId: 'worker-1',
  at: '2026-11-29T12:00:01.000Z',
  method: p.method,
  versionBefore: p.model?.versionBefore ?? 1,
  versionAfter: p.model?.versionAfter ?? 1,
  digestBefore: p.model?.digestBefore ?? hex('v1'),
  digestAfter: p.model?.digestAfter ?? hex('v1'),
  certificateId: p.certificateId,
  certificate: 'jws',
  ...over,
});

describe('certificateMismatches (a verified certificate against its job and message)', () => {
  it('accepts a certificate that names exactly the job’s requests, subjects, model and versions', () => {
    const p = certified();
    expect(certificateMismatches(p, resultOf(p), job(), hex('v1'))).toEqual([]);
    // No recorded digest for the base version (a model trained elsewhere): not checked.
    expect(certificateMismatches(p, resultOf(p), job(), null)).toEqual([]);
  });

  it.each<
    [
      string,
      (
        p: CertificatePayload,
      ) => [CertificatePayload, Partial<SucceededResult>, Partial<ExistingJob>, string | null],
      RegExp,
    ]
  >([
    ['another certificate id', (p) => [p, { certificateId: 'cert-2' }, {}, null], /certificateId/],
    ['another method', (p) => [p, { method: 'retrain' }, {}, null], /method/],
    [
      'a request of another job',
      (p) => [p, {}, { requestIds: [DeletionRequestId('req-1')] }, null],
      /requestIds/,
    ],
    [
      'another subject',
      (p) => [p, {}, { subjectRefs: [SubjectRef(subjectRefFor('someone-else'))] }, null],
      /subjectRefs/,
    ],
    ['another model', (p) => [p, {}, { modelId: ModelId('other') }, null], /modelId/],
    ['another base version', (p) => [p, {}, { baseVersion: 2 }, null], /versionBefore/],
    [
      'a digest the message does not state',
      (p) => [p, { digestAfter: hex('forged') }, {}, null],
      /digestAfter/,
    ],
    [
      'a base digest governance did not record',
      (p) => [p, {}, {}, hex('other v1')],
      /digestBefore/,
    ],
    [
      'a version that skips one',
      (p) => [{ ...p, model: { ...p.model!, versionAfter: 3 } }, { versionAfter: 3 }, {}, null],
      /next version/,
    ],
  ])('refuses %s', (_name, make, why) => {
    const base = certified();
    const [payload, resultOver, jobOver, recorded] = make(base);
    const problems = certificateMismatches(
      payload,
      resultOf(base, resultOver),
      job(jobOver),
      recorded,
    );
    expect(problems.join('\n')).toMatch(why);
  });

  it('a no-op certificate leaves the version and digest unchanged', () => {
    const p = aNoOpCertificate({
      certificateId: 'cert-1',
      requestIds: ['req-1', 'req-2'],
      subjectRefs: [ref],
    });
    const r = resultOf(p, {
      versionBefore: 1,
      versionAfter: 1,
      digestBefore: hex('v1'),
      digestAfter: hex('v1'),
    });
    expect(certificateMismatches(p, r, job(), hex('v1'))).toEqual([]);
    expect(certificateMismatches(p, { ...r, versionAfter: 2 }, job(), null).join()).toMatch(
      /no-op/,
    );
  });
});
