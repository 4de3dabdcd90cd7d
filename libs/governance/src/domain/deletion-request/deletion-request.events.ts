import type { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type { DomainEvent } from '../shared/decider';
import type { PolicyChoice } from '../shared/policy-choice';
import type { DeadlineBasis } from './deadline';

/** What the subject asked to be forgotten from. `null` = every record of the subject. */
export interface DeletionScope {
  readonly datasetIds: readonly string[] | null;
  readonly recordIds: readonly string[] | null;
}

/** A model the request reaches, at the version that was current when lineage was resolved. */
export interface AffectedModel {
  readonly modelId: ModelId;
  readonly version: number;
  readonly recordCount: number;
}

export type DeletionRequested = DomainEvent<
  'DeletionRequested',
  {
    readonly requestId: DeletionRequestId;
    /** CloudEvents `id`; with `source`, the idempotency key (the request id derives from both). */
    readonly sourceEventId: string;
    readonly source: string;
    readonly channel: 'kafka' | 'http';
    readonly subjectRef: SubjectRef;
    readonly scope: DeletionScope | null;
    readonly legalBasis: string;
    readonly requestedAt: string;
    readonly receivedAt: string;
    readonly deadline: string;
    readonly deadlineBasis: DeadlineBasis;
    /**
     * `contentDigestOf` the request's content (request-content.ts): a repeat of (source, id) with
     * another digest is refused. Absent on events stored before the digest existed; those are
     * compared on the fields they recorded (docs/adr/0006-deletion-intake.md).
     */
    readonly contentDigest?: string;
  }
>;

export type LineageResolved = DomainEvent<
  'LineageResolved',
  {
    readonly requestId: DeletionRequestId;
    readonly affectedModels: readonly AffectedModel[];
    readonly recordCount: number;
    readonly resolvedAt: string;
  }
>;

export type NoRecordsFound = DomainEvent<
  'NoRecordsFound',
  { readonly requestId: DeletionRequestId; readonly reason: string; readonly resolvedAt: string }
>;

export type DeletionRequestRejected = DomainEvent<
  'DeletionRequestRejected',
  {
    readonly requestId: DeletionRequestId;
    readonly code: string;
    readonly reason: string;
    readonly rejectedAt: string;
  }
>;

export type UnlearningScheduled = DomainEvent<
  'UnlearningScheduled',
  {
    readonly requestId: DeletionRequestId;
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly scheduledAt: string;
  }
>;

export type UnlearningStarted = DomainEvent<
  'UnlearningStarted',
  {
    readonly requestId: DeletionRequestId;
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly startedAt: string;
  }
>;

export type ModelUnlearned = DomainEvent<
  'ModelUnlearned',
  {
    readonly requestId: DeletionRequestId;
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly versionAfter: number;
    readonly certificateId: CertificateId | null;
    readonly completedAt: string;
    /**
     * Added later: the certificate's method and why the model's policy chose it (the signed
     * `evidence.policy`, public codes only). Absent on events stored before, and when unknown.
     */
    readonly method?: string;
    readonly policy?: PolicyChoice;
  }
>;

export type ModelUnlearningFailed = DomainEvent<
  'ModelUnlearningFailed',
  {
    readonly requestId: DeletionRequestId;
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly outcome: 'failed' | 'needs-retrain';
    readonly reason: string;
    readonly failedAt: string;
  }
>;

export type UnlearningRetried = DomainEvent<
  'UnlearningRetried',
  {
    readonly requestId: DeletionRequestId;
    readonly modelId: ModelId;
    readonly jobId: JobId;
    readonly retriedAt: string;
  }
>;

/** The raw records of the subject were deleted from the records store (after certification). */
export type SubjectRecordsErased = DomainEvent<
  'SubjectRecordsErased',
  {
    readonly requestId: DeletionRequestId;
    readonly subjectRef: SubjectRef;
    readonly recordCount: number;
    readonly datasetIds: readonly string[];
    readonly erasedAt: string;
  }
>;

export type DeletionRequestEvent =
  | DeletionRequested
  | LineageResolved
  | NoRecordsFound
  | DeletionRequestRejected
  | UnlearningScheduled
  | UnlearningStarted
  | ModelUnlearned
  | ModelUnlearningFailed
  | UnlearningRetried
  | SubjectRecordsErased;

export type DeletionRequestEventType = DeletionRequestEvent['type'];
