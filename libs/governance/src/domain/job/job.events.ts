import type { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type { DomainEvent } from '../shared/decider';
import type { PolicyChoice } from '../shared/policy-choice';

export type UnlearningJobScheduled = DomainEvent<
  'UnlearningJobScheduled',
  {
    readonly jobId: JobId;
    readonly modelId: ModelId;
    readonly requestIds: readonly DeletionRequestId[];
    readonly subjectRefs: readonly SubjectRef[];
    readonly baseVersion: number;
    readonly maxAttempts: number;
    readonly scheduledAt: string;
  }
>;

export type UnlearningJobDispatched = DomainEvent<
  'UnlearningJobDispatched',
  {
    readonly jobId: JobId;
    readonly modelId: ModelId;
    readonly attempt: number;
    readonly baseVersion: number;
    readonly dispatchedAt: string;
  }
>;

export type UnlearningJobStarted = DomainEvent<
  'UnlearningJobStarted',
  {
    readonly jobId: JobId;
    readonly attempt: number;
    readonly workerId: string | null;
    readonly startedAt: string;
  }
>;

export type UnlearningJobSucceeded = DomainEvent<
  'UnlearningJobSucceeded',
  {
    readonly jobId: JobId;
    readonly attempt: number;
    readonly versionAfter: number;
    readonly certificateId: CertificateId | null;
    readonly completedAt: string;
    /** Added later: SHA-256 (hex) of the released weights, and the certificate's method. */
    readonly digestAfter?: string;
    readonly method?: string;
    /**
     * Added later: why the model's policy chose the method, from the signed certificate's
     * `evidence.policy` (public codes only); absent when the certificate states none.
     */
    readonly policy?: PolicyChoice;
  }
>;
/** Latest public progress of the attempt (docs/adr/0010-job-results.md). */
export type UnlearningJobProgressed = DomainEvent<
  'UnlearningJobProgressed',
  {
    readonly jobId: JobId;
    readonly attempt: number;
    readonly seq: number;
    readonly stage: string;
    readonly done: number;
    readonly total: number | null;
    readonly reportedAt: string;
  }
>;
/** A result message for the job was refused; nothing else changed (the operator decides). */
export type UnlearningJobResultRefused = DomainEvent<
  'UnlearningJobResultRefused',
  {
    readonly jobId: JobId;
    readonly attempt: number;
    readonly messageId: string;
    readonly code: string;
    readonly reason: string;
    readonly refusedAt: string;
  }
>;

export type UnlearningJobAttemptFailed = DomainEvent<
  'UnlearningJobAttemptFailed',
  {
    readonly jobId: JobId;
    readonly attempt: number;
    readonly reason: string;
    readonly nextAttemptAt: string;
    readonly failedAt: string;
  }
>;

export type UnlearningJobFailed = DomainEvent<
  'UnlearningJobFailed',
  {
    readonly jobId: JobId;
    readonly attempt: number;
    readonly reason: string;
    readonly failedAt: string;
  }
>;

export type UnlearningJobNeedsRetrain = DomainEvent<
  'UnlearningJobNeedsRetrain',
  {
    readonly jobId: JobId;
    readonly attempt: number;
    readonly reason: string;
    readonly decidedAt: string;
  }
>;

export type UnlearningJobRetryRequested = DomainEvent<
  'UnlearningJobRetryRequested',
  { readonly jobId: JobId; readonly requestedBy: string; readonly requestedAt: string }
>;

export type JobEvent =
  | UnlearningJobScheduled
  | UnlearningJobDispatched
  | UnlearningJobStarted
  | UnlearningJobSucceeded
  | UnlearningJobAttemptFailed
  | UnlearningJobFailed
  | UnlearningJobNeedsRetrain
  | UnlearningJobRetryRequested
  | UnlearningJobProgressed
  | UnlearningJobResultRefused;
