import type { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type { DomainEvent } from '../shared/decider';

/** What a model version was trained on, summarised: the membership itself lives in the lineage store. */
export interface TrainingSetSummary {
  readonly datasetIds: readonly string[];
  readonly recordCount: number;
  /** sha256 over the sorted `datasetId/recordId` list: ties the summary to the lineage rows. */
  readonly digest: string;
}

export type ModelRegistered = DomainEvent<
  'ModelRegistered',
  {
    readonly modelId: ModelId;
    readonly name: string;
    readonly description: string | null;
    readonly registeredAt: string;
    /**
     * Added later: the training profile given at registration (architecture, recipe, policy) as
     * validated by the worker's schema, when Lethe trains the model.
     */
    readonly profile?: ModelProfileJson;
    /** Added later: the profile's policy as validated, defaults filled in (revision 0). */
    readonly policy?: ModelProfileJson;
  }
>;

/** A profile or a policy as JSON: validated by the worker's schema before any event holds it. */
export type ModelProfileJson = Readonly<Record<string, unknown>>;

/**
 * The model's unlearning policy was replaced (`PUT /v1/models/:id/policy`): later unlearning jobs
 * carry this policy and its revision; the worker validates it again and journals what it used.
 */
export type ModelPolicyChanged = DomainEvent<
  'ModelPolicyChanged',
  {
    readonly modelId: ModelId;
    /** 1 for the first change after registration (the registered policy is revision 0). */
    readonly revision: number;
    readonly policy: ModelProfileJson;
    readonly changedAt: string;
  }
>;

export type ModelVersionRegistered = DomainEvent<
  'ModelVersionRegistered',
  {
    readonly modelId: ModelId;
    readonly version: number;
    readonly parentVersion: number | null;
    readonly origin: 'registration' | 'training' | 'unlearning';
    readonly jobId: JobId | null;
    readonly trainingSet: TrainingSetSummary;
    readonly registeredAt: string;
    /** Added later: SHA-256 (hex) of the released weights, when Lethe's worker produced them. */
    readonly weightsDigest?: string;
    /** Added later: the certificate that released this version (unlearning). */
    readonly certificateId?: CertificateId | null;
    /** Added later: public figures of a trained version (accuracy, …). */
    readonly metrics?: Readonly<Record<string, number>>;
  }
>;

/** Lethe trains the model's first version: a training job was sent to the worker. */
export type ModelTrainingScheduled = DomainEvent<
  'ModelTrainingScheduled',
  {
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly version: number;
    readonly trainingSet: TrainingSetSummary;
    readonly scheduledAt: string;
    /**
     * Added later: what the training job reads (every dataset it names, and the records named one
     * by one at registration), kept so that a retry sends the same job again.
     */
    readonly datasetIds?: readonly string[];
    readonly records?: readonly { readonly datasetId: string; readonly recordId: string }[];
  }
>;

export type ModelTrainingFailed = DomainEvent<
  'ModelTrainingFailed',
  {
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly attempt: number;
    readonly reason: string;
    readonly failedAt: string;
    /** Added later: set when the failure is retryable and attempts are left (retried then). */
    readonly nextAttemptAt?: string | null;
  }
>;

/** The training job is sent again as attempt `attempt` (after a backoff, or by ml-admin). */
export type ModelTrainingRetried = DomainEvent<
  'ModelTrainingRetried',
  {
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly attempt: number;
    readonly requestedBy: string;
    readonly retriedAt: string;
  }
>;

/** The worker's progress on the training job (public stages and counts only). */
export type ModelTrainingProgressed = DomainEvent<
  'ModelTrainingProgressed',
  {
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly attempt: number;
    readonly seq: number;
    readonly stage: string;
    readonly done: number;
    readonly total: number | null;
    readonly reportedAt: string;
  }
>;

export type DeletionQueued = DomainEvent<
  'DeletionQueued',
  {
    readonly modelId: ModelId;
    readonly requestId: DeletionRequestId;
    readonly subjectRef: SubjectRef;
    readonly queuedAt: string;
  }
>;

export type UnlearningJobOpened = DomainEvent<
  'UnlearningJobOpened',
  {
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly requestIds: readonly DeletionRequestId[];
    readonly subjectRefs: readonly SubjectRef[];
    readonly baseVersion: number;
    readonly openedAt: string;
  }
>;

export type UnlearningJobRequeued = DomainEvent<
  'UnlearningJobRequeued',
  { readonly modelId: ModelId; readonly jobId: JobId; readonly requeuedAt: string }
>;

export type UnlearningJobResumed = DomainEvent<
  'UnlearningJobResumed',
  {
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly baseVersion: number;
    readonly resumedAt: string;
  }
>;

export type UnlearningJobClosed = DomainEvent<
  'UnlearningJobClosed',
  {
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly outcome: 'succeeded' | 'failed' | 'needs-retrain';
    readonly closedAt: string;
  }
>;

export type ModelEvent =
  | ModelRegistered
  | ModelVersionRegistered
  | DeletionQueued
  | UnlearningJobOpened
  | UnlearningJobRequeued
  | UnlearningJobResumed
  | UnlearningJobClosed
  | ModelTrainingScheduled
  | ModelTrainingFailed
  | ModelTrainingRetried
  | ModelTrainingProgressed
  | ModelPolicyChanged;
