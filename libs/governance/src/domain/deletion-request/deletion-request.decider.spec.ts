import { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import { deciderSpec } from '../../testing/decider-specification';
import { deletionRequestDecider } from './deletion-request.decider';
import type { DeletionRequestEvent, DeletionRequested } from './deletion-request.events';
import { evolveDeletionRequest, initialDeletionRequestState } from './deletion-request.state';

const spec = deciderSpec(deletionRequestDecider);
const requestId = DeletionRequestId('dr-1');
const m1 = ModelId('model-a');
const m2 = ModelId('model-b');
const job1 = JobId('job-1');
const job2 = JobId('job-2');
const now = '2026-11-26T12:00:05.000Z';

const requested: DeletionRequested = {
  type: 'DeletionRequested',
  data: {
    requestId,
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
  },
};
const affectedModels = [
  { modelId: m1, version: 1, recordCount: 2 },
  { modelId: m2, version: 3, recordCount: 1 },
];
const resolved: DeletionRequestEvent = {
  type: 'LineageResolved',
  data: {
    requestId,
    affectedModels,
    recordCount: 3,
    resolvedAt: now,
  },
};
const scheduled = (modelId: ModelId, jobId: JobId): DeletionRequestEvent => ({
  type: 'UnlearningScheduled',
  data: { requestId, modelId, jobId, scheduledAt: now },
});
const unlearned = (modelId: ModelId, jobId: JobId): DeletionRequestEvent => ({
  type: 'ModelUnlearned',
  data: {
    requestId,
    modelId,
    jobId,
    versionAfter: 2,
    certificateId: CertificateId('cert-1'),
    completedAt: now,
  },
});
const statusAfter = (events: readonly DeletionRequestEvent[]) =>
  events.reduce(evolveDeletionRequest, initialDeletionRequestState());

describe('deletion request decider', () => {
  describe('RequestDeletion', () => {
    const { deadline: _d, deadlineBasis: _b, ...rest } = requested.data;
    const request = {
      type: 'RequestDeletion' as const,
      data: { ...rest, requestedDeadline: null },
    };

    it('given nothing, records the request as received with its statutory deadline', () => {
      spec.given([]).when(request).then([requested]);
      expect(statusAfter([requested]).status).toBe('received');
    });

    it('given the same request already received, changes nothing (idempotent)', () => {
      spec.given([requested]).when(request).thenNothing();
    });

    it("takes the event's deadline when earlier, and needs one when no statute applies", () => {
      const early = spec
        .given([])
        .when({ ...request, data: { ...request.data, requestedDeadline: '2026-12-01T00:00:00Z' } })
        .events();
      expect(early[0]?.data).toMatchObject({
        deadline: '2026-12-01T00:00:00.000Z',
        deadlineBasis: 'event',
      });
      spec
        .given([])
        .when({ ...request, data: { ...request.data, legalBasis: 'contract' } })
        .thenThrows('DEADLINE_REQUIRED');
    });
  });

  describe('ResolveLineage', () => {
    it('with no affected model and no records, completes as no-records with its reason', () => {
      const events = spec
        .given([requested])
        .when({
          type: 'ResolveLineage',
          data: { requestId, affectedModels: [], recordCount: 0, now },
        })
        .events();
      expect(events).toEqual([
        {
          type: 'NoRecordsFound',
          data: { requestId, reason: 'no records of the subject in scope', resolvedAt: now },
        },
      ]);
      const s = statusAfter([requested, ...events]);
      expect(s).toMatchObject({
        status: 'no-records',
        reason: 'no records of the subject in scope',
      });
    });

    it('with affected models, records them and stays received until scheduled', () => {
      spec
        .given([requested])
        .when({
          type: 'ResolveLineage',
          data: { requestId, affectedModels, recordCount: 3, now },
        })
        .then([resolved]);
      expect(statusAfter([requested, resolved]).status).toBe('received');
    });

    it('is idempotent once lineage is resolved', () => {
      spec
        .given([requested, resolved])
        .when({
          type: 'ResolveLineage',
          data: { requestId, affectedModels: [], recordCount: 0, now },
        })
        .thenNothing();
    });

    it('refuses an unknown request', () => {
      spec
        .given([])
        .when({
          type: 'ResolveLineage',
          data: { requestId, affectedModels: [], recordCount: 0, now },
        })
        .thenThrows('REQUEST_NOT_FOUND');
    });
  });

  describe('lifecycle across models', () => {
    it('is scheduled once every affected model has a job, unlearning once one starts', () => {
      expect(statusAfter([requested, resolved, scheduled(m1, job1)]).status).toBe('received');
      expect(
        statusAfter([requested, resolved, scheduled(m1, job1), scheduled(m2, job2)]).status,
      ).toBe('scheduled');
      const started: DeletionRequestEvent = {
        type: 'UnlearningStarted',
        data: { requestId, modelId: m1, jobId: job1, startedAt: now },
      };
      expect(
        statusAfter([requested, resolved, scheduled(m1, job1), scheduled(m2, job2), started])
          .status,
      ).toBe('scheduled');
      expect(
        statusAfter([
          requested,
          resolved,
          scheduled(m1, job1),
          scheduled(m2, job2),
          started,
          unlearned(m2, job2),
        ]).status,
      ).toBe('unlearning');
    });

    it('is certified when every affected model is unlearned', () => {
      const s = statusAfter([
        requested,
        resolved,
        scheduled(m1, job1),
        scheduled(m2, job2),
        unlearned(m1, job1),
        unlearned(m2, job2),
      ]);
      expect(s).toMatchObject({ status: 'certified', reason: 'unlearned from 2 model(s)' });
    });

    it('schedules a pending model and ignores a repeat with the same job', () => {
      spec
        .given([requested, resolved])
        .when({ type: 'ScheduleUnlearning', data: { requestId, modelId: m1, jobId: job1, now } })
        .then([scheduled(m1, job1)]);
      spec
        .given([requested, resolved, scheduled(m1, job1)])
        .when({ type: 'ScheduleUnlearning', data: { requestId, modelId: m1, jobId: job1, now } })
        .thenNothing();
    });

    it('refuses to schedule a model the request does not affect', () => {
      spec
        .given([requested, resolved])
        .when({
          type: 'ScheduleUnlearning',
          data: { requestId, modelId: ModelId('other'), jobId: job1, now },
        })
        .thenThrows('ILLEGAL_TRANSITION');
    });

    it('a failed model fails the request with its reason; a retry brings it back to scheduled', () => {
      const failed = spec
        .given([requested, resolved, scheduled(m1, job1), scheduled(m2, job2)])
        .when({
          type: 'RecordModelOutcome',
          data: {
            requestId,
            modelId: m1,
            jobId: job1,
            outcome: 'failed',
            reason: 'worker crashed',
            versionAfter: null,
            certificateId: null,
            now,
          },
        })
        .events();
      const base = [requested, resolved, scheduled(m1, job1), scheduled(m2, job2), ...failed];
      expect(statusAfter(base)).toMatchObject({
        status: 'failed',
        reason: 'model model-a: worker crashed',
      });
      const retried = spec
        .given(base)
        .when({ type: 'RetryUnlearning', data: { requestId, modelId: m1, jobId: job1, now } })
        .events();
      expect(retried).toHaveLength(1);
      expect(statusAfter([...base, ...retried]).status).toBe('scheduled');
    });

    it('needs-retrain is terminal with its reason', () => {
      const events = spec
        .given([requested, resolved, scheduled(m1, job1), scheduled(m2, job2)])
        .when({
          type: 'RecordModelOutcome',
          data: {
            requestId,
            modelId: m2,
            jobId: job2,
            outcome: 'needs-retrain',
            reason: 'sigma breaks accuracy floor',
            versionAfter: null,
            certificateId: null,
            now,
          },
        })
        .events();
      expect(
        statusAfter([requested, resolved, scheduled(m1, job1), scheduled(m2, job2), ...events]),
      ).toMatchObject({
        status: 'needs-retrain',
        reason: 'model model-b: sigma breaks accuracy floor',
      });
    });

    it('refuses an outcome from a job that is not the model job', () => {
      spec
        .given([requested, resolved, scheduled(m1, job1)])
        .when({
          type: 'RecordModelOutcome',
          data: {
            requestId,
            modelId: m1,
            jobId: job2,
            outcome: 'unlearned',
            reason: null,
            versionAfter: 2,
            certificateId: null,
            now,
          },
        })
        .thenThrows('ILLEGAL_TRANSITION');
    });
  });

  describe('RejectDeletionRequest', () => {
    it('rejects a received request with code and reason', () => {
      const events = spec
        .given([requested])
        .when({
          type: 'RejectDeletionRequest',
          data: { requestId, code: 'LEGAL_HOLD', reason: 'Art. 17(3)(e)', now },
        })
        .events();
      expect(statusAfter([requested, ...events])).toMatchObject({
        status: 'rejected',
        reason: 'LEGAL_HOLD: Art. 17(3)(e)',
      });
    });

    it('cannot reject once lineage is resolved', () => {
      spec
        .given([requested, resolved])
        .when({ type: 'RejectDeletionRequest', data: { requestId, code: 'X', reason: 'y', now } })
        .thenThrows('ILLEGAL_TRANSITION');
    });
  });

  describe('EraseSubjectRecords', () => {
    const certified = [
      requested,
      resolved,
      scheduled(m1, job1),
      scheduled(m2, job2),
      unlearned(m1, job1),
      unlearned(m2, job2),
    ];
    const erase = {
      type: 'EraseSubjectRecords' as const,
      data: { requestId, recordCount: 3, datasetIds: ['mnist-demo'], now },
    };

    it('erases after certification, carrying only the subject reference', () => {
      spec
        .given(certified)
        .when(erase)
        .then([
          {
            type: 'SubjectRecordsErased',
            data: {
              requestId,
              subjectRef: SubjectRef('ref-abc'),
              recordCount: 3,
              datasetIds: ['mnist-demo'],
              erasedAt: now,
            },
          },
        ]);
    });

    it('is idempotent', () => {
      const events = spec.given(certified).when(erase).events();
      spec
        .given([...certified, ...events])
        .when(erase)
        .thenNothing();
    });

    it('refuses before certification', () => {
      spec.given([requested, resolved]).when(erase).thenThrows('REQUEST_NOT_CERTIFIED');
    });
  });
});
