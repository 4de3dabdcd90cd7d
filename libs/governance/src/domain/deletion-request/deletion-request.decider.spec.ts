import { CertificateId, ModelId, SubjectRef } from '@lethe/shared';
import { deciderSpec } from '../../testing/decider-specification';
import {
  aCertifiedRequest,
  aRequestId as requestId,
  aRequestScheduledOnA,
  aRequestScheduledOnBoth,
  aResolvedRequest,
  deletionRequested,
  jobA as job1,
  jobB as job2,
  lineageResolved,
  modelA as m1,
  modelB as m2,
  modelUnlearned as unlearned,
  requestNow as now,
  unlearningScheduled as scheduled,
} from '../../testing/deletion-request.factory';
import type { DeletionRequestCommand } from './deletion-request.commands';
import { deletionRequestDecider } from './deletion-request.decider';
import type { DeletionRequestEvent, DeletionRequested } from './deletion-request.events';
import { evolveDeletionRequest, initialDeletionRequestState } from './deletion-request.state';

const spec = deciderSpec(deletionRequestDecider);
const requested = deletionRequested();
const resolved = lineageResolved();
const { affectedModels } = resolved.data;
const statusAfter = (events: readonly DeletionRequestEvent[]) =>
  events.reduce(evolveDeletionRequest, initialDeletionRequestState());
type RecordModelOutcome = Extract<DeletionRequestCommand, { type: 'RecordModelOutcome' }>;
/** The outcome of model A's job 1: unlearned as version 2 with `cert-1`, unless `over` says otherwise. */
const outcome = (over: Partial<RecordModelOutcome['data']> = {}): RecordModelOutcome => ({
  type: 'RecordModelOutcome',
  data: {
    requestId,
    modelId: m1,
    jobId: job1,
    outcome: 'unlearned',
    reason: null,
    versionAfter: 2,
    certificateId: CertificateId('cert-1'),
    now,
    ...over,
  },
});

describe('deletion request decider', () => {
  describe('RequestDeletion', () => {
    const { deadline: _d, deadlineBasis: _b, contentDigest: _c, ...rest } = requested.data;
    type Request = {
      type: 'RequestDeletion';
      data: typeof rest & {
        requestedDeadline: string | null;
        scope: { datasetIds: string[] | null; recordIds: string[] | null } | null;
      };
    };
    const request: Request = {
      type: 'RequestDeletion' as const,
      data: { ...rest, scope: null, requestedDeadline: null },
    };
    const withData = (patch: Partial<Request['data']>): Request => ({
      ...request,
      data: { ...request.data, ...patch },
    });
    const scoped = withData({
      scope: { datasetIds: ['mnist-demo', 'cifar'], recordIds: ['r-2', 'r-1'] },
      requestedDeadline: '2026-12-01T00:00:00Z',
    });
    const [scopedRequested] = spec.given([]).when(scoped).events();
    if (!scopedRequested) throw new Error('no event');

    it('given nothing, records the request as received with its statutory deadline', () => {
      spec.given([]).when(request).then([requested]);
      expect(statusAfter([requested]).status).toBe('received');
    });

    it('given the same request already received, changes nothing (idempotent)', () => {
      spec.given([requested]).when(request).thenNothing();
      // The repeat arrives later, by the other door, at another time: still the same content.
      spec
        .given([requested])
        .when(
          withData({
            channel: 'http',
            requestedAt: '2026-11-27T00:00:00.000Z',
            receivedAt: '2026-11-28T00:00:00.000Z',
          }),
        )
        .thenNothing();
    });

    it('compares content on its canonical form: set order, instant notation and basis case do not matter', () => {
      spec
        .given([scopedRequested])
        .when(
          withData({
            scope: { datasetIds: ['cifar', 'mnist-demo'], recordIds: ['r-1', 'r-2'] },
            requestedDeadline: '2026-12-01T01:00:00.000+01:00',
            legalBasis: 'GDPR-Art-17',
          }),
        )
        .thenNothing();
      // A scope that narrows nothing is no scope.
      spec
        .given([requested])
        .when(withData({ scope: { datasetIds: null, recordIds: null } }))
        .thenNothing();
    });

    it.each<[string, Partial<Request['data']>]>([
      ['another subject', { subjectRef: SubjectRef('ref-other') }],
      ['another legal basis', { legalBasis: 'ccpa-1798.105' }],
      ['a scope', { scope: { datasetIds: ['mnist-demo'], recordIds: null } }],
      ['a deadline', { requestedDeadline: '2026-12-01T00:00:00Z' }],
    ])(
      'given the key already used, %s is a conflict naming the existing request',
      (_what, patch) => {
        spec
          .given([requested])
          .when(withData(patch))
          .thenThrows('IDEMPOTENCY_KEY_REUSED', { requestId });
      },
    );

    it('a narrower or wider scope, or another deadline, under the same key is a conflict', () => {
      for (const patch of [
        { scope: { datasetIds: ['mnist-demo'], recordIds: ['r-2', 'r-1'] } },
        { scope: { datasetIds: ['mnist-demo', 'cifar'], recordIds: ['r-1', 'r-2', 'r-3'] } },
        { requestedDeadline: '2026-12-01T00:00:00.001Z' },
        { requestedDeadline: null },
      ]) {
        spec
          .given([scopedRequested])
          .when({ ...scoped, data: { ...scoped.data, ...patch } })
          .thenThrows('IDEMPOTENCY_KEY_REUSED');
      }
    });

    describe('a request stored before content digests (its event has none)', () => {
      const { contentDigest: _none, ...legacyData } = requested.data;
      const legacy: DeletionRequested = { type: 'DeletionRequested', data: legacyData };
      const { contentDigest: _none2, ...legacyScopedData } =
        scopedRequested.data as DeletionRequested['data'];
      const legacyScoped: DeletionRequested = {
        type: 'DeletionRequested',
        data: legacyScopedData,
      };

      it('still loads, with no digest', () => {
        expect(statusAfter([legacy])).toMatchObject({ status: 'received', contentDigest: null });
      });

      it('is compared on the fields its event recorded', () => {
        spec.given([legacy]).when(request).thenNothing();
        spec.given([legacyScoped]).when(scoped).thenNothing();
        spec
          .given([legacy])
          .when(withData({ subjectRef: SubjectRef('ref-other') }))
          .thenThrows('IDEMPOTENCY_KEY_REUSED');
        spec
          .given([legacy])
          .when(withData({ scope: { datasetIds: ['x'], recordIds: null } }))
          .thenThrows('IDEMPOTENCY_KEY_REUSED');
        spec
          .given([legacyScoped])
          .when({ ...scoped, data: { ...scoped.data, requestedDeadline: '2026-12-02T00:00:00Z' } })
          .thenThrows('IDEMPOTENCY_KEY_REUSED');
      });

      it('under a statutory deadline, an explicit deadline agrees unless it would have won', () => {
        // Stored: GDPR deadline 2026-12-26T12:00Z. A later explicit one could have been sent.
        spec
          .given([legacy])
          .when(withData({ requestedDeadline: '2027-01-31T00:00:00Z' }))
          .thenNothing();
        spec
          .given([legacy])
          .when(withData({ requestedDeadline: '2026-12-20T00:00:00Z' }))
          .thenThrows('IDEMPOTENCY_KEY_REUSED');
      });
    });

    it("takes the event's deadline when earlier, and needs one when no statute applies", () => {
      expect(scopedRequested.data).toMatchObject({
        deadline: '2026-12-01T00:00:00.000Z',
        deadlineBasis: 'event',
      });
      spec
        .given([])
        .when(withData({ legalBasis: 'contract' }))
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
      expect(statusAfter(aResolvedRequest()).status).toBe('received');
    });

    it('is idempotent once lineage is resolved', () => {
      spec
        .given(aResolvedRequest())
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
      expect(statusAfter(aRequestScheduledOnA()).status).toBe('received');
      expect(statusAfter(aRequestScheduledOnBoth()).status).toBe('scheduled');
      const started: DeletionRequestEvent = {
        type: 'UnlearningStarted',
        data: { requestId, modelId: m1, jobId: job1, startedAt: now },
      };
      expect(statusAfter(aRequestScheduledOnBoth(started)).status).toBe('scheduled');
      expect(statusAfter(aRequestScheduledOnBoth(started, unlearned(m2, job2))).status).toBe(
        'unlearning',
      );
    });

    it('is certified when every affected model is unlearned', () => {
      const s = statusAfter(aCertifiedRequest());
      expect(s).toMatchObject({ status: 'certified', reason: 'unlearned from 2 model(s)' });
    });

    it('an unlearned outcome carries the method and the policy’s choice; the model shows why', () => {
      const policy = {
        chosen: 'retrain',
        tried: [
          { method: 'convex-newton', outcome: 'refused', reasons: ['private-check-failed'] },
          { method: 'retrain', outcome: 'chosen', reasons: [] },
        ],
      } as const;
      const withChoice: DeletionRequestEvent = {
        type: 'ModelUnlearned',
        data: {
          requestId,
          modelId: m1,
          jobId: job1,
          versionAfter: 2,
          certificateId: CertificateId('cert-1'),
          completedAt: now,
          method: 'retrain',
          policy,
        },
      };
      spec
        .given(aRequestScheduledOnA())
        .when(outcome({ method: 'retrain', policy }))
        .then([withChoice]);
      expect(statusAfter(aRequestScheduledOnA(withChoice))).toMatchObject({
        models: {
          [m1]: {
            status: 'unlearned',
            method: 'retrain',
            reason: 'convex-newton refused (private-check-failed); retrain chosen',
          },
        },
      });
    });

    it('an outcome without a method or choice records none (events stored before them replay)', () => {
      spec
        .given(aRequestScheduledOnA())
        .when(outcome({ method: null, policy: null }))
        .then([unlearned(m1, job1)]);
      expect(statusAfter(aRequestScheduledOnA(unlearned(m1, job1)))).toMatchObject({
        models: { [m1]: { status: 'unlearned', method: null, reason: null } },
      });
    });

    it('schedules a pending model and ignores a repeat with the same job', () => {
      spec
        .given(aResolvedRequest())
        .when({ type: 'ScheduleUnlearning', data: { requestId, modelId: m1, jobId: job1, now } })
        .then([scheduled(m1, job1)]);
      spec
        .given(aRequestScheduledOnA())
        .when({ type: 'ScheduleUnlearning', data: { requestId, modelId: m1, jobId: job1, now } })
        .thenNothing();
    });

    it('refuses to schedule a model the request does not affect', () => {
      spec
        .given(aResolvedRequest())
        .when({
          type: 'ScheduleUnlearning',
          data: { requestId, modelId: ModelId('other'), jobId: job1, now },
        })
        .thenThrows('ILLEGAL_TRANSITION');
    });

    it('a failed model fails the request with its reason; a retry brings it back to scheduled', () => {
      const failed = spec
        .given(aRequestScheduledOnBoth())
        .when(
          outcome({
            outcome: 'failed',
            reason: 'worker crashed',
            versionAfter: null,
            certificateId: null,
          }),
        )
        .events();
      const base = aRequestScheduledOnBoth(...failed);
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
        .given(aRequestScheduledOnBoth())
        .when(
          outcome({
            modelId: m2,
            jobId: job2,
            outcome: 'needs-retrain',
            reason: 'sigma breaks accuracy floor',
            versionAfter: null,
            certificateId: null,
          }),
        )
        .events();
      expect(statusAfter(aRequestScheduledOnBoth(...events))).toMatchObject({
        status: 'needs-retrain',
        reason: 'model model-b: sigma breaks accuracy floor',
      });
    });

    it('refuses an outcome from a job that is not the model job', () => {
      spec
        .given(aRequestScheduledOnA())
        .when(outcome({ jobId: job2, certificateId: null }))
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
        .given(aResolvedRequest())
        .when({ type: 'RejectDeletionRequest', data: { requestId, code: 'X', reason: 'y', now } })
        .thenThrows('ILLEGAL_TRANSITION');
    });
  });

  describe('EraseSubjectRecords', () => {
    const certified = aCertifiedRequest();
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
      spec.given(aResolvedRequest()).when(erase).thenThrows('REQUEST_NOT_CERTIFIED');
    });
  });
});
