import type {
  BackoffPolicy,
  CertificateId,
  DeletionRequestId,
  JobId,
  ModelId,
  SubjectRef,
} from '@lethe/shared';
import type { ModelProfileJson, TrainingSetSummary } from './model.events';

export type ModelCommand =
  | {
      readonly type: 'RegisterModel';
      readonly data: {
        readonly modelId: ModelId;
        readonly name: string;
        readonly description: string | null;
        readonly trainingSet: TrainingSetSummary;
        readonly now: string;
        /**
         * Set when Lethe trains the first version itself (the datasets have registered sources):
         * no version yet, a training job instead. Absent: trained elsewhere, version 1 now.
         */
        readonly training?: {
          readonly jobId: JobId;
          readonly datasetIds?: readonly string[];
          readonly records?: readonly { readonly datasetId: string; readonly recordId: string }[];
        };
        /** The profile as validated by the worker's schema (absent: none given). */
        readonly profile?: ModelProfileJson;
        /** Its policy as validated, defaults filled in. */
        readonly policy?: ModelProfileJson;
      };
    }
  | {
      /**
       * Replace the model's unlearning policy. `policy` is already validated (and completed with
       * its defaults) by the worker's schema in the application layer; the domain keeps it whole.
       */
      readonly type: 'ChangeModelPolicy';
      readonly data: {
        readonly modelId: ModelId;
        readonly policy: ModelProfileJson;
        readonly now: string;
      };
    }
  | {
      /** What the worker reported about the model's training job. */
      readonly type: 'RecordTrainingResult';
      readonly data: {
        readonly modelId: ModelId;
        readonly jobId: JobId;
        readonly attempt: number;
        readonly outcome:
          | {
              readonly kind: 'trained';
              readonly version: number;
              readonly digest: string;
              readonly metrics: Readonly<Record<string, number>>;
            }
          | {
              readonly kind: 'failed';
              readonly reason: string;
              /** Absent: not retryable. */
              readonly retryable?: boolean;
            };
        readonly now: string;
        /** Retries of a retryable failure: attempts in all, and the backoff before the next. */
        readonly retry?: { readonly maxAttempts: number; readonly backoff: BackoffPolicy };
      };
    }
  | {
      /**
       * Send the training job again: `scheduler` once a retryable failure's backoff is over,
       * `admin` (POST /v1/jobs/:id/retry) after any failure.
       */
      readonly type: 'RetryTraining';
      readonly data: {
        readonly modelId: ModelId;
        readonly jobId: JobId;
        /** 'scheduler', or the admin's actor. */
        readonly requestedBy: string;
        readonly now: string;
      };
    }
  | {
      readonly type: 'RecordTrainingProgress';
      readonly data: {
        readonly modelId: ModelId;
        readonly jobId: JobId;
        readonly attempt: number;
        readonly progress: {
          readonly seq: number;
          readonly stage: string;
          readonly done: number;
          readonly total: number | null;
        };
        /** A report of the same stage within this interval of the last one is dropped. */
        readonly minIntervalMs: number;
        readonly now: string;
      };
    }
  | {
      readonly type: 'RegisterModelVersion';
      readonly data: {
        readonly modelId: ModelId;
        readonly version: number;
        readonly origin: 'training' | 'unlearning';
        readonly jobId: JobId | null;
        readonly trainingSet: TrainingSetSummary;
        readonly now: string;
      };
    }
  | {
      readonly type: 'QueueDeletion';
      readonly data: {
        readonly modelId: ModelId;
        readonly requestId: DeletionRequestId;
        readonly subjectRef: SubjectRef;
        readonly now: string;
      };
    }
  | {
      readonly type: 'OpenUnlearningJob';
      readonly data: {
        readonly modelId: ModelId;
        /** Id for the job if one is opened (ids are minted outside the domain). */
        readonly jobId: JobId;
        readonly now: string;
        /** Requests arriving within this window of the oldest queued one share a job. */
        readonly coalesceWindowMs: number;
        readonly maxRequestsPerJob: number;
      };
    }
  | {
      readonly type: 'CloseUnlearningJob';
      readonly data: {
        readonly modelId: ModelId;
        readonly jobId: JobId;
        readonly outcome: 'succeeded' | 'failed' | 'needs-retrain';
        /** For `succeeded`: the version the worker released and what it was trained on. */
        readonly newVersion: {
          readonly version: number;
          readonly trainingSet: TrainingSetSummary;
          /** SHA-256 (hex) of the released weights and the certificate that released them. */
          readonly weightsDigest?: string;
          readonly certificateId?: CertificateId | null;
        } | null;
        readonly now: string;
      };
    }
  | {
      readonly type: 'RequeueUnlearningJob';
      readonly data: { readonly modelId: ModelId; readonly jobId: JobId; readonly now: string };
    };
