import type { CertificatePayload } from '@lethe/audit';
import type { UnlearningResultDataV1 } from '@lethe/shared';
import type { ExistingJob } from '../../../domain/job/job.state';

export type SucceededResult = Extract<UnlearningResultDataV1, { kind: 'succeeded' }>;

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
};

/**
 * Why a verified certificate cannot be accepted as the result of this job (empty: it can). The
 * signature says who signed; this says that what was signed is this job's outcome: the same
 * certificate id and method as the message, the job's requests and subject references exactly,
 * and the job's model, base version and versions/digests as the message states them. `digestBefore`
 * is also checked against the weights digest governance recorded for the base version, when it
 * has one (docs/adr/0010-job-results.md).
 */
export function certificateMismatches(
  payload: CertificatePayload,
  result: SucceededResult,
  job: ExistingJob,
  recordedDigestBefore: string | null,
): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(
    payload.certificateId === result.certificateId,
    `certificateId: signed ${payload.certificateId}, message ${result.certificateId}`,
  );
  check(
    payload.method === result.method,
    `method: signed ${payload.method}, message ${result.method}`,
  );
  check(result.modelId === job.modelId, `modelId: message ${result.modelId}, job ${job.modelId}`);
  check(
    sameSet(payload.requestIds, job.requestIds),
    'requestIds: the signed requests are not the job’s',
  );
  check(
    sameSet(payload.subjectRefs, job.subjectRefs),
    'subjectRefs: the signed subject references are not the job’s',
  );
  check(
    result.versionBefore === job.baseVersion,
    `versionBefore: message ${result.versionBefore}, job base ${job.baseVersion}`,
  );
  if (recordedDigestBefore !== null) {
    check(
      result.digestBefore === recordedDigestBefore,
      `digestBefore: message ${result.digestBefore}, recorded ${recordedDigestBefore}`,
    );
  }
  const m = payload.model;
  if (payload.method === 'no-op') {
    check(
      result.versionAfter === result.versionBefore && result.digestAfter === result.digestBefore,
      'a no-op leaves the version and its digest as they were',
    );
    if (m === null) return problems;
  }
  if (m === null) {
    problems.push('model: the certificate names no model');
    return problems;
  }
  check(m.modelId === job.modelId, `model.modelId: signed ${m.modelId}, job ${job.modelId}`);
  check(
    m.versionBefore === result.versionBefore,
    `model.versionBefore: signed ${m.versionBefore}, message ${result.versionBefore}`,
  );
  check(
    m.versionAfter === result.versionAfter,
    `model.versionAfter: signed ${m.versionAfter}, message ${result.versionAfter}`,
  );
  check(
    m.digestBefore === result.digestBefore,
    `model.digestBefore: signed ${m.digestBefore}, message ${result.digestBefore}`,
  );
  check(
    m.digestAfter === result.digestAfter,
    `model.digestAfter: signed ${m.digestAfter}, message ${result.digestAfter}`,
  );
  if (payload.method !== 'no-op') {
    check(
      result.versionAfter === job.baseVersion + 1,
      `versionAfter: ${result.versionAfter} is not the next version after ${job.baseVersion}`,
    );
  }
  return problems;
}
