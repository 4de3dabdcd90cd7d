import { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type { DeletionRequestEvent } from '../../domain/deletion-request/deletion-request.events';
import type { JobEvent } from '../../domain/job/job.events';
import type { PolicyChoice } from '../../domain/shared/policy-choice';
import { streams } from '../../domain/shared/stream-names';
import { deletionRequestsView } from './deletion-requests.projection';
import { jobsView } from './jobs.projection';
import type { FoldableEvent, HistoryEntry } from './state-view.projection';

const requestId = DeletionRequestId('dr-1');
const modelId = ModelId('credit-lr');
const jobId = JobId('job-1');
const t = (s: number) => new Date(Date.UTC(2026, 10, 29, 12, 0, s)).toISOString();
const fallback: PolicyChoice = {
  chosen: 'retrain',
  tried: [
    { method: 'convex-newton', outcome: 'refused', reasons: ['private-check-failed'] },
    { method: 'retrain', outcome: 'chosen', reasons: [] },
  ],
};
const REASON = 'convex-newton refused (private-check-failed); retrain chosen';

/** Events of one stream as the projection receives them (versions 1, 2, …). */
const recorded = <E extends { type: string }>(streamId: string, events: readonly E[]) =>
  events.map(
    (e, i): FoldableEvent<E & { data: unknown }> =>
      ({
        ...e,
        streamId,
        streamVersion: i + 1,
        metadata: {
          messageId: `m-${i}`,
          correlationId: 'c',
          causationId: null,
          actor: 'test',
          occurredAt: t(i),
          schemaVersion: 1,
        },
      }) as FoldableEvent<E & { data: unknown }>,
  );

const requestEvents = (unlearned: DeletionRequestEvent): DeletionRequestEvent[] => [
  {
    type: 'DeletionRequested',
    data: {
      requestId,
      sourceEventId: 'evt-1',
      source: 'urn:lethe:app:crm',
      channel: 'http',
      subjectRef: SubjectRef('sr1_ref'),
      scope: null,
      legalBasis: 'gdpr-art-17',
      requestedAt: t(0),
      receivedAt: t(0),
      deadline: '2026-12-29T12:00:00.000Z',
      deadlineBasis: 'gdpr',
    },
  },
  {
    type: 'LineageResolved',
    data: {
      requestId,
      affectedModels: [{ modelId, version: 1, recordCount: 3 }],
      recordCount: 3,
      resolvedAt: t(1),
    },
  },
  { type: 'UnlearningScheduled', data: { requestId, modelId, jobId, scheduledAt: t(2) } },
  unlearned,
];
const unlearned = (
  extra: Partial<Extract<DeletionRequestEvent, { type: 'ModelUnlearned' }>['data']>,
) =>
  ({
    type: 'ModelUnlearned',
    data: {
      requestId,
      modelId,
      jobId,
      versionAfter: 2,
      certificateId: CertificateId('cert-job-1'),
      completedAt: t(3),
      ...extra,
    },
  }) as DeletionRequestEvent;

const historyOfRequest = (events: DeletionRequestEvent[]) => {
  const [row] = deletionRequestsView().rowsOfNewStreams(
    recorded(streams.deletionRequest(requestId).streamId, events),
  );
  return row as { history: HistoryEntry[]; models: unknown[] };
};

describe('history entries carry the method and the policy’s reason', () => {
  it('a request certified after a fallback: its ModelUnlearned entry says retrain and why', () => {
    const row = historyOfRequest(requestEvents(unlearned({ method: 'retrain', policy: fallback })));
    expect(row.history.at(-1)).toEqual({
      version: 4,
      type: 'ModelUnlearned',
      at: t(3),
      status: 'certified',
      modelId,
      method: 'retrain',
      reason: REASON,
    });
    expect(row.models).toEqual([
      expect.objectContaining({ modelId, status: 'unlearned', method: 'retrain', reason: REASON }),
    ]);
    // Entries of other events carry no detail.
    expect(row.history[0]).toEqual({
      version: 1,
      type: 'DeletionRequested',
      at: t(0),
      status: 'received',
    });
  });

  it('an event stored before the method and the choice existed replays with neither', () => {
    const row = historyOfRequest(requestEvents(unlearned({})));
    expect(row.history.at(-1)).toEqual({
      version: 4,
      type: 'ModelUnlearned',
      at: t(3),
      status: 'certified',
      modelId,
    });
  });

  it('the job’s success entry says the method and why; a failure says its reason', () => {
    const events: JobEvent[] = [
      {
        type: 'UnlearningJobScheduled',
        data: {
          jobId,
          modelId,
          requestIds: [requestId],
          subjectRefs: [SubjectRef('sr1_ref')],
          baseVersion: 1,
          maxAttempts: 3,
          scheduledAt: t(0),
        },
      },
      {
        type: 'UnlearningJobDispatched',
        data: { jobId, modelId, attempt: 1, baseVersion: 1, dispatchedAt: t(1) },
      },
      {
        type: 'UnlearningJobAttemptFailed',
        data: {
          jobId,
          attempt: 1,
          reason: 'DATASET_SOURCE_UNAVAILABLE: timeout',
          nextAttemptAt: t(5),
          failedAt: t(2),
        },
      },
      {
        type: 'UnlearningJobDispatched',
        data: { jobId, modelId, attempt: 2, baseVersion: 1, dispatchedAt: t(5) },
      },
      {
        type: 'UnlearningJobSucceeded',
        data: {
          jobId,
          attempt: 2,
          versionAfter: 2,
          certificateId: CertificateId('cert-job-1'),
          completedAt: t(6),
          method: 'retrain',
          policy: fallback,
        },
      },
    ];
    const [row] = jobsView().rowsOfNewStreams(recorded(streams.job(jobId).streamId, events));
    const history = (row as { history: HistoryEntry[] }).history;
    expect(history[2]).toMatchObject({
      type: 'UnlearningJobAttemptFailed',
      reason: 'DATASET_SOURCE_UNAVAILABLE: timeout',
    });
    expect(history.at(-1)).toMatchObject({
      type: 'UnlearningJobSucceeded',
      status: 'succeeded',
      method: 'retrain',
      reason: REASON,
    });
  });
});
