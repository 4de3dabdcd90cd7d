import type { CertificateId, DeletionRequestId, JobId, ModelId } from '@lethe/shared';
import type { PolicyChoice } from '../shared/policy-choice';
import type { AffectedModel, DeletionRequested } from './deletion-request.events';

/** Commands the deletion-request decider understands. `now` always comes from outside. */
export type DeletionRequestCommand =
  | {
      readonly type: 'RequestDeletion';
      readonly data: Omit<
        DeletionRequested['data'],
        'deadline' | 'deadlineBasis' | 'contentDigest'
      > & {
        /** The event's own `deadline`, if any (the statutory one is computed here). */
        readonly requestedDeadline: string | null;
      };
    }
  | {
      readonly type: 'ResolveLineage';
      readonly data: {
        readonly requestId: DeletionRequestId;
        readonly affectedModels: readonly AffectedModel[];
        readonly recordCount: number;
        readonly now: string;
      };
    }
  | {
      readonly type: 'RejectDeletionRequest';
      readonly data: {
        readonly requestId: DeletionRequestId;
        readonly code: string;
        readonly reason: string;
        readonly now: string;
      };
    }
  | {
      readonly type: 'ScheduleUnlearning';
      readonly data: {
        readonly requestId: DeletionRequestId;
        readonly modelId: ModelId;
        readonly jobId: JobId;
        readonly now: string;
      };
    }
  | {
      readonly type: 'StartUnlearning';
      readonly data: {
        readonly requestId: DeletionRequestId;
        readonly modelId: ModelId;
        readonly jobId: JobId;
        readonly now: string;
      };
    }
  | {
      readonly type: 'RecordModelOutcome';
      readonly data: {
        readonly requestId: DeletionRequestId;
        readonly modelId: ModelId;
        readonly jobId: JobId;
        readonly outcome: 'unlearned' | 'failed' | 'needs-retrain';
        readonly reason: string | null;
        readonly versionAfter: number | null;
        readonly certificateId: CertificateId | null;
        /** For `unlearned`: the certificate's method and the policy's choice, when known. */
        readonly method?: string | null;
        readonly policy?: PolicyChoice | null;
        readonly now: string;
      };
    }
  | {
      readonly type: 'RetryUnlearning';
      readonly data: {
        readonly requestId: DeletionRequestId;
        readonly modelId: ModelId;
        readonly jobId: JobId;
        readonly now: string;
      };
    }
  | {
      readonly type: 'EraseSubjectRecords';
      readonly data: {
        readonly requestId: DeletionRequestId;
        readonly recordCount: number;
        readonly datasetIds: readonly string[];
        readonly now: string;
      };
    };
