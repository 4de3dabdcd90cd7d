import type { DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type { TrainingSetSummary } from './model.events';

export type ModelCommand =
  | {
      readonly type: 'RegisterModel';
      readonly data: {
        readonly modelId: ModelId;
        readonly name: string;
        readonly description: string | null;
        readonly trainingSet: TrainingSetSummary;
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
        } | null;
        readonly now: string;
      };
    }
  | {
      readonly type: 'RequeueUnlearningJob';
      readonly data: { readonly modelId: ModelId; readonly jobId: JobId; readonly now: string };
    };
