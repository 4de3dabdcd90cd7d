import type { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type { BackoffPolicy } from '@lethe/shared';

/** What a worker reports about one attempt of a job (the later result consumer sends these). */
export type JobResult =
  | { readonly kind: 'started'; readonly workerId: string | null }
  | {
      readonly kind: 'succeeded';
      readonly versionAfter: number;
      readonly certificateId: CertificateId | null;
    }
  | { readonly kind: 'failed'; readonly reason: string; readonly retryable: boolean }
  | { readonly kind: 'needs-retrain'; readonly reason: string };

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
      readonly type: 'RetryJob';
      readonly data: { readonly jobId: JobId; readonly requestedBy: string; readonly now: string };
    };
