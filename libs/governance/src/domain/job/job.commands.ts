import type { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type { BackoffPolicy } from '@lethe/shared';
import type { PolicyChoice } from '../shared/policy-choice';

/** What a worker reports about one attempt of a job (the later result consumer sends these). */
export type JobResult =
  | { readonly kind: 'started'; readonly workerId: string | null }
  | {
      readonly kind: 'succeeded';
      readonly versionAfter: number;
      readonly certificateId: CertificateId | null;
      /** SHA-256 (hex) of the released weights; optional (results recorded before it existed). */
      readonly digestAfter?: string;
      /** The certificate's method (`no-op`: the model did not change). */
      readonly method?: string;
      /** Why the policy chose it: the verified certificate's `evidence.policy`, when it has one. */
      readonly policy?: PolicyChoice;
    }
  | { readonly kind: 'failed'; readonly reason: string; readonly retryable: boolean }
  | { readonly kind: 'needs-retrain'; readonly reason: string };

/** What a worker says about a long attempt: public counts only, never a measured value. */
export interface JobProgress {
  /** 1, 2, 3… per (jobId, attempt). */
  readonly seq: number;
  readonly stage: string;
  readonly done: number;
  readonly total: number | null;
}

export type JobCommand =
  | {
      readonly type: 'ScheduleJob';
      readonly data: {
        readonly jobId: JobId;
        readonly modelId: ModelId;
        readonly requestIds: readonly DeletionRequestId[];
        readonly subjectRefs: readonly SubjectRef[];
        readonly baseVersion: number;
        readonly maxAttempts: number;
        readonly now: string;
      };
    }
  | {
      readonly type: 'DispatchJob';
      readonly data: { readonly jobId: JobId; readonly baseVersion: number; readonly now: string };
    }
  | {
      readonly type: 'RecordJobResult';
      readonly data: {
        readonly jobId: JobId;
        readonly attempt: number;
        readonly result: JobResult;
        readonly backoff: BackoffPolicy;
        readonly now: string;
      };
    }
  | {
      /** Public progress of an attempt (stage and counts), deduplicated by `seq`. */
      readonly type: 'RecordJobProgress';
      readonly data: {
        readonly jobId: JobId;
        readonly attempt: number;
        readonly progress: JobProgress;
        /** A progress report of the same stage within this interval of the last one is dropped. */
        readonly minIntervalMs: number;
        readonly now: string;
      };
    }
  | {
      /** A result message for this job was refused (bad signature, certificate mismatch, …). */
      readonly type: 'RefuseJobResult';
      readonly data: {
        readonly jobId: JobId;
        readonly attempt: number;
        readonly messageId: string;
        readonly code: string;
        readonly reason: string;
        readonly now: string;
      };
    }
  | {
      readonly type: 'RetryJob';
      readonly data: { readonly jobId: JobId; readonly requestedBy: string; readonly now: string };
    };
