import { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type {
  DeletionRequestEvent,
  DeletionRequested,
  LineageResolved,
} from '../domain/deletion-request/deletion-request.events';
import { contentDigestOf } from '../domain/deletion-request/request-content';

/**
 * Test factories for a deletion request's given events: request `dr-1` of subject `ref-abc`,
 * whose lineage names models `model-a` (version 1, 2 records) and `model-b` (version 3, 1
 * record), unlearned by jobs `job-1` and `job-2`. Not for production code.
 */
export const aRequestId = DeletionRequestId('dr-1');
export const modelA = ModelId('model-a');
export const modelB = ModelId('model-b');
export const jobA = JobId('job-1');
export const jobB = JobId('job-2');
/** When the request's later events happen. */
export const requestNow = '2026-11-26T12:00:05.000Z';

/** The request received over Kafka, GDPR, no scope. */
export const deletionRequested = (): DeletionRequested => ({
  type: 'DeletionRequested',
  data: {
    requestId: aRequestId,
    sourceEventId: 'evt-1',
    source: 'urn:lethe:app:crm',
    channel: 'kafka',
    subjectRef: SubjectRef('ref-abc'),
    scope: null,
    legalBasis: 'gdpr-art-17',
    requestedAt: '2026-11-26T12:00:00.000Z',
    receivedAt: '2026-11-26T12:00:01.000Z',
    deadline: '2026-12-26T12:00:00.000Z', // one calendar month after the earlier of the two
    deadlineBasis: 'gdpr',
    contentDigest: contentDigestOf({
      subjectRef: SubjectRef('ref-abc'),
      scope: null,
      legalBasis: 'gdpr-art-17',
      requestedDeadline: null,
    }),
  },
});

/** Its lineage: both models. */
export const lineageResolved = (): LineageResolved => ({
  type: 'LineageResolved',
  data: {
    requestId: aRequestId,
    affectedModels: [
      { modelId: modelA, version: 1, recordCount: 2 },
      { modelId: modelB, version: 3, recordCount: 1 },
    ],
    recordCount: 3,
    resolvedAt: requestNow,
  },
});

export const unlearningScheduled = (modelId: ModelId, jobId: JobId): DeletionRequestEvent => ({
  type: 'UnlearningScheduled',
  data: { requestId: aRequestId, modelId, jobId, scheduledAt: requestNow },
});

export const modelUnlearned = (modelId: ModelId, jobId: JobId): DeletionRequestEvent => ({
  type: 'ModelUnlearned',
  data: {
    requestId: aRequestId,
    modelId,
    jobId,
    versionAfter: 2,
    certificateId: CertificateId('cert-1'),
    completedAt: requestNow,
  },
});

/** Given: the request received and its lineage resolved, then `more`. */
export const aResolvedRequest = (...more: DeletionRequestEvent[]): DeletionRequestEvent[] => [
  deletionRequested(),
  lineageResolved(),
  ...more,
];

/** Given: resolved, and scheduled on model A (job 1) only, then `more`. */
export const aRequestScheduledOnA = (...more: DeletionRequestEvent[]): DeletionRequestEvent[] =>
  aResolvedRequest(unlearningScheduled(modelA, jobA), ...more);

/** Given: resolved, and scheduled on both models (jobs 1 and 2), then `more`. */
export const aRequestScheduledOnBoth = (...more: DeletionRequestEvent[]): DeletionRequestEvent[] =>
  aRequestScheduledOnA(unlearningScheduled(modelB, jobB), ...more);

/** Given: unlearned from both models (certified), then `more`. */
export const aCertifiedRequest = (...more: DeletionRequestEvent[]): DeletionRequestEvent[] =>
  aRequestScheduledOnBoth(modelUnlearned(modelA, jobA), modelUnlearned(modelB, jobB), ...more);
