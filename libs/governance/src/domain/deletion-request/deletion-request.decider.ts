import { assertNever, type Decider } from '../shared/decider';
import { GovernanceError } from '../governance.errors';
import { computeDeadline } from './deadline';
import type { DeletionRequestCommand } from './deletion-request.commands';
import type { DeletionRequestEvent } from './deletion-request.events';
import {
  canonicalInstant,
  canonicalLegalBasis,
  canonicalScopeText,
  contentDigestOf,
  type RequestContent,
} from './request-content';
import {
  evolveDeletionRequest,
  initialDeletionRequestState,
  isTerminal,
  type DeletionRequestState,
  type ExistingRequest,
  type ModelProgress,
} from './deletion-request.state';

const notFound = (requestId: string): GovernanceError =>
  new GovernanceError('REQUEST_NOT_FOUND', `deletion request ${requestId} does not exist`, {
    requestId,
  });

const illegal = (what: string, state: ExistingRequest, extra: Record<string, unknown> = {}) =>
  new GovernanceError(
    'ILLEGAL_TRANSITION',
    `${what} not allowed while request is ${state.status}`,
    {
      requestId: state.requestId,
      status: state.status,
      ...extra,
    },
  );

/**
 * Whether a repeat of (source, id) asks for what the stored request asks for: by digest, or, for a
 * request stored before digests, by the fields its event recorded. Such an event kept the
 * computed deadline, not the requested one: an explicit deadline can only be checked where it won
 * (basis `event`); under a statutory deadline, a repeat's explicit deadline agrees unless it is
 * earlier than the stored one (it would then have won).
 */
const sameContent = (state: ExistingRequest, content: RequestContent, digest: string): boolean => {
  if (state.contentDigest !== null) return state.contentDigest === digest;
  const requested =
    content.requestedDeadline === null ? null : canonicalInstant(content.requestedDeadline);
  const deadlineAgrees =
    state.deadlineBasis === 'event'
      ? requested === state.deadline
      : requested === null || Date.parse(requested) >= Date.parse(state.deadline);
  return (
    deadlineAgrees &&
    state.subjectRef === content.subjectRef &&
    canonicalLegalBasis(state.legalBasis) === canonicalLegalBasis(content.legalBasis) &&
    canonicalScopeText(state.scope) === canonicalScopeText(content.scope)
  );
};

const existing = (state: DeletionRequestState, requestId: string): ExistingRequest => {
  if (state.status === 'absent') throw notFound(requestId);
  return state;
};

const progressOf = (state: ExistingRequest, modelId: string): ModelProgress => {
  const p = state.models[modelId];
  if (!p) throw illegal(`model ${modelId} is not affected; transition`, state, { modelId });
  return p;
};

export const decideDeletionRequest = (
  command: DeletionRequestCommand,
  state: DeletionRequestState,
): readonly DeletionRequestEvent[] => {
  switch (command.type) {
    case 'RequestDeletion': {
      // The stream id derives from (source, id): a repeat finds this stream. Same content: the
      // request exists, nothing to do. Other content: the key was reused, refuse it.
      // The command's data is the content (`RequestContent` reads subjectRef, scope, legalBasis
      // and requestedDeadline); no copy is made: this runs once per inbound event.
      const d = command.data;
      const contentDigest = contentDigestOf(d);
      if (state.status !== 'absent') {
        if (sameContent(state, d, contentDigest)) return [];
        throw new GovernanceError(
          'IDEMPOTENCY_KEY_REUSED',
          `this (source, id) was already used for deletion request ${state.requestId} with ` +
            'other content (subject, scope, legal basis or deadline); send a new id',
          { requestId: state.requestId },
        );
      }
      // The statutory clock starts at the earlier of the subject's request and our receipt.
      const clockStartsAt =
        Date.parse(d.requestedAt) < Date.parse(d.receivedAt) ? d.requestedAt : d.receivedAt;
      const deadline = computeDeadline({
        legalBasis: d.legalBasis,
        clockStartsAt,
        requestedDeadline: d.requestedDeadline,
      });
      if (deadline === null) {
        throw new GovernanceError(
          'DEADLINE_REQUIRED',
          'legalBasis names no known statute (gdpr-*, ccpa-*): a deadline is required',
          { legalBasis: d.legalBasis },
        );
      }
      // Members in this order: the event's JSON is stored as written (request-deletion.prepare.spec.ts
      // compares it with the previous derivation, byte for byte).
      return [
        {
          type: 'DeletionRequested',
          data: {
            requestId: d.requestId,
            sourceEventId: d.sourceEventId,
            source: d.source,
            channel: d.channel,
            subjectRef: d.subjectRef,
            scope: d.scope,
            legalBasis: d.legalBasis,
            requestedAt: d.requestedAt,
            receivedAt: d.receivedAt,
            deadline: deadline.at,
            deadlineBasis: deadline.basis,
            contentDigest,
          },
        },
      ];
    }

    case 'ResolveLineage': {
      const s = existing(state, command.data.requestId);
      if (s.lineageResolved || isTerminal(s.status)) return [];
      const { requestId, affectedModels, recordCount, now } = command.data;
      if (affectedModels.length === 0) {
        const reason =
          recordCount === 0
            ? 'no records of the subject in scope'
            : `${recordCount} record(s) in scope, no model trained on them`;
        return [{ type: 'NoRecordsFound', data: { requestId, reason, resolvedAt: now } }];
      }
      return [
        {
          type: 'LineageResolved',
          data: { requestId, affectedModels, recordCount, resolvedAt: now },
        },
      ];
    }

    case 'RejectDeletionRequest': {
      const s = existing(state, command.data.requestId);
      if (s.status === 'rejected') return [];
      if (s.status !== 'received' || s.lineageResolved) throw illegal('rejection', s);
      const { requestId, code, reason, now } = command.data;
      return [
        { type: 'DeletionRequestRejected', data: { requestId, code, reason, rejectedAt: now } },
      ];
    }

    case 'ScheduleUnlearning': {
      const s = existing(state, command.data.requestId);
      const { requestId, modelId, jobId, now } = command.data;
      const p = progressOf(s, modelId);
      if (p.jobId === jobId && p.status !== 'pending') return [];
      if (p.status !== 'pending') throw illegal('scheduling', s, { modelId, jobId });
      return [
        { type: 'UnlearningScheduled', data: { requestId, modelId, jobId, scheduledAt: now } },
      ];
    }

    case 'StartUnlearning': {
      const s = existing(state, command.data.requestId);
      const { requestId, modelId, jobId, now } = command.data;
      const p = progressOf(s, modelId);
      if (p.jobId !== jobId) throw illegal('start of another job', s, { modelId, jobId });
      if (p.status !== 'scheduled') return [];
      return [{ type: 'UnlearningStarted', data: { requestId, modelId, jobId, startedAt: now } }];
    }

    case 'RecordModelOutcome': {
      const s = existing(state, command.data.requestId);
      const { requestId, modelId, jobId, outcome, reason, versionAfter, certificateId, now } =
        command.data;
      const { method, policy } = command.data;
      const p = progressOf(s, modelId);
      if (p.jobId !== jobId) throw illegal('outcome of another job', s, { modelId, jobId });
      if (p.status === outcome) return [];
      if (p.status !== 'scheduled' && p.status !== 'unlearning') {
        throw illegal(`outcome ${outcome}`, s, { modelId, jobId });
      }
      if (outcome === 'unlearned') {
        if (versionAfter === null) {
          throw illegal('an unlearned outcome without a model version', s, { modelId, jobId });
        }
        return [
          {
            type: 'ModelUnlearned',
            data: {
              requestId,
              modelId,
              jobId,
              versionAfter,
              certificateId,
              completedAt: now,
              ...(method == null ? {} : { method }),
              ...(policy == null ? {} : { policy }),
            },
          },
        ];
      }
      return [
        {
          type: 'ModelUnlearningFailed',
          data: {
            requestId,
            modelId,
            jobId,
            outcome,
            reason: reason ?? 'unspecified',
            failedAt: now,
          },
        },
      ];
    }

    case 'RetryUnlearning': {
      const s = existing(state, command.data.requestId);
      const { requestId, modelId, jobId, now } = command.data;
      const p = progressOf(s, modelId);
      if (p.jobId === jobId && (p.status === 'scheduled' || p.status === 'unlearning')) return [];
      if (p.status !== 'failed') throw illegal('retry', s, { modelId, jobId });
      return [{ type: 'UnlearningRetried', data: { requestId, modelId, jobId, retriedAt: now } }];
    }

    case 'EraseSubjectRecords': {
      const s = existing(state, command.data.requestId);
      if (s.recordsErased) return [];
      if (s.status !== 'certified') {
        throw new GovernanceError(
          'REQUEST_NOT_CERTIFIED',
          `records are erased only after certification; request is ${s.status}`,
          { requestId: s.requestId, status: s.status },
        );
      }
      const { requestId, recordCount, datasetIds, now } = command.data;
      return [
        {
          type: 'SubjectRecordsErased',
          data: { requestId, subjectRef: s.subjectRef, recordCount, datasetIds, erasedAt: now },
        },
      ];
    }

    default:
      return assertNever(command);
  }
};

export const deletionRequestDecider: Decider<
  DeletionRequestCommand,
  DeletionRequestEvent,
  DeletionRequestState
> = {
  decide: decideDeletionRequest,
  evolve: evolveDeletionRequest,
  initialState: initialDeletionRequestState,
};
