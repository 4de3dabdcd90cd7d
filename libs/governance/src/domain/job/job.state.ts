import type { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import { assertNever } from '../shared/decider';
import type { PolicyChoice } from '../shared/policy-choice';
import type { JobEvent } from './job.events';

export type JobStatus =
  | 'awaiting-dispatch'
  | 'dispatched'
  | 'running'
  | 'retry-wait'
  | 'succeeded'
  | 'failed'
  | 'needs-retrain';

export interface ExistingJob {
  readonly status: JobStatus;
  readonly jobId: JobId;
  readonly modelId: ModelId;
  readonly requestIds: readonly DeletionRequestId[];
  readonly subjectRefs: readonly SubjectRef[];
  readonly baseVersion: number;
  readonly maxAttempts: number;
  /** Attempts ever dispatched: the worker's idempotency key is (jobId, attempt). */
  readonly attempt: number;
  /** Attempts in the current round (an admin retry starts a new round). */
  readonly attemptsInRound: number;
  readonly nextAttemptAt: string | null;
  readonly reason: string | null;
  readonly versionAfter: number | null;
  readonly certificateId: CertificateId | null;
  /** The certificate's method of a succeeded job (null before, and for successes recorded without it). */
  readonly method: string | null;
  /** Why the model's policy chose it (the signed `evidence.policy`), when the certificate says. */
  readonly policy: PolicyChoice | null;
  readonly scheduledAt: string;
  /** Latest progress of the current attempt (null before the first report and after a dispatch). */
  readonly progress: JobProgressView | null;
  /** The last result message refused for this job (code and reason), if any. */
  readonly lastRefusal: JobRefusal | null;
}

export interface JobProgressView {
  readonly attempt: number;
  readonly seq: number;
  readonly stage: string;
  readonly done: number;
  readonly total: number | null;
  readonly at: string;
}

export interface JobRefusal {
  readonly attempt: number;
  readonly messageId: string;
  readonly code: string;
  readonly reason: string;
  readonly at: string;
}

export type JobState = { readonly status: 'absent' } | ExistingJob;

export const initialJobState = (): JobState => ({ status: 'absent' });

export const evolveJob = (state: JobState, event: JobEvent): JobState => {
  if (event.type === 'UnlearningJobScheduled') {
    if (state.status !== 'absent') return state;
    const d = event.data;
    return {
      status: 'awaiting-dispatch',
      jobId: d.jobId,
      modelId: d.modelId,
      requestIds: d.requestIds,
      subjectRefs: d.subjectRefs,
      baseVersion: d.baseVersion,
      maxAttempts: d.maxAttempts,
      attempt: 0,
      attemptsInRound: 0,
      nextAttemptAt: null,
      reason: null,
      versionAfter: null,
      certificateId: null,
      method: null,
      policy: null,
      scheduledAt: d.scheduledAt,
      progress: null,
      lastRefusal: null,
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'UnlearningJobDispatched':
      return {
        ...state,
        status: 'dispatched',
        attempt: event.data.attempt,
        attemptsInRound: state.attemptsInRound + 1,
        baseVersion: event.data.baseVersion,
        nextAttemptAt: null,
        progress: null,
      };
    case 'UnlearningJobStarted':
      return { ...state, status: 'running' };
    case 'UnlearningJobSucceeded':
      return {
        ...state,
        status: 'succeeded',
        reason: null,
        versionAfter: event.data.versionAfter,
        certificateId: event.data.certificateId,
        method: event.data.method ?? null,
        policy: event.data.policy ?? null,
      };
    case 'UnlearningJobAttemptFailed':
      return {
        ...state,
        status: 'retry-wait',
        nextAttemptAt: event.data.nextAttemptAt,
        reason: event.data.reason,
      };
    case 'UnlearningJobFailed':
      return { ...state, status: 'failed', reason: event.data.reason, nextAttemptAt: null };
    case 'UnlearningJobNeedsRetrain':
      return { ...state, status: 'needs-retrain', reason: event.data.reason };
    case 'UnlearningJobRetryRequested':
      return { ...state, status: 'awaiting-dispatch', attemptsInRound: 0, reason: null };
    case 'UnlearningJobProgressed': {
      const d = event.data;
      return {
        ...state,
        progress: {
          attempt: d.attempt,
          seq: d.seq,
          stage: d.stage,
          done: d.done,
          total: d.total,
          at: d.reportedAt,
        },
      };
    }
    case 'UnlearningJobResultRefused': {
      const d = event.data;
      return {
        ...state,
        lastRefusal: {
          attempt: d.attempt,
          messageId: d.messageId,
          code: d.code,
          reason: d.reason,
          at: d.refusedAt,
        },
      };
    }
    default:
      return assertNever(event);
  }
};
