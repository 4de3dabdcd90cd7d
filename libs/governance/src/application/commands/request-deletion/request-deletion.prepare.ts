import { SubjectId, type DeletionRequestId } from '@lethe/shared';
import type { NewEvent, NewStream } from '@lethe/event-store';
import { deletionRequestDecider } from '../../../domain/deletion-request/deletion-request.decider';
import type { DeletionRequestCommand } from '../../../domain/deletion-request/deletion-request.commands';
import type { DeletionRequested } from '../../../domain/deletion-request/deletion-request.events';
import { initialDeletionRequestState } from '../../../domain/deletion-request/deletion-request.state';
import { GovernanceError, isGovernanceError } from '../../../domain/governance.errors';
import { StreamCategory } from '../../../domain/shared/stream-names';
import type { SubjectPseudonymizer } from '../../ports/subject-pseudonymizer.port';
import { intakeIdsFor } from '../../ids';
import type { DeletionIntakeOutcome, RequestDeletionCommand } from './request-deletion.command';

export type RequestDeletionDecision = Extract<DeletionRequestCommand, { type: 'RequestDeletion' }>;

/** One item that passed the checks before the transaction, with the command it decides. */
export interface Candidate {
  readonly index: number;
  readonly streamId: string;
  readonly requestId: DeletionRequestId;
  readonly decision: RequestDeletionDecision;
}

/** What the handler's transaction needs, decided before it opens. */
export interface PreparedRequests {
  /** One per item, in order: refusals are final; the others are replaced after the append. */
  readonly outcomes: DeletionIntakeOutcome[];
  readonly candidates: Candidate[];
  /** The new streams to append (one DeletionRequested each), by stream id. */
  readonly toAppend: Map<string, NewStream<DeletionRequested>>;
}

const STREAM_PREFIX = `${StreamCategory.deletionRequest}-`;

/**
 * The intake's work before its transaction, per item: the ids from (source, id), the scope's
 * datasets against `known`, the domain's RequestDeletion command (with the subject's HMAC) and,
 * for the first item of each stream, the decider's DeletionRequested from the initial state with
 * its metadata. It runs once per inbound event on the service thread, so values the whole command
 * shares are computed once (the receipt instant: one `Date` per Kafka round; the Kafka actor of a
 * source), and nothing is copied or spread that is built here. What it produces is stored (stream
 * ids, the event's data and metadata as JSON): request-deletion.prepare.spec.ts compares it, byte
 * for byte, with the previous derivation (`testing/request-deletion.reference.ts`).
 */
export const prepareRequests = (
  command: RequestDeletionCommand,
  known: ReadonlySet<string>,
  pseudonymizer: SubjectPseudonymizer,
  now: () => Date,
): PreparedRequests => {
  const outcomes: DeletionIntakeOutcome[] = [];
  const candidates: Candidate[] = [];
  const toAppend = new Map<string, NewStream<DeletionRequested>>();
  const { items, channel } = command;
  const http = channel === 'http';
  // Caches of one entry: a Kafka round shares one receipt Date, and its events mostly one source.
  let receivedDate: Date | undefined;
  let receivedIso = '';
  let actorSource: string | undefined;
  let actor = command.actor;
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    if (item === undefined) continue;
    const { event, receivedAt } = item;
    const data = event.data;
    const scope = data.scope;
    const datasetIds = scope?.datasetIds;
    if (datasetIds !== undefined) {
      const unknown = datasetIds.filter((d) => !known.has(d));
      if (unknown.length > 0) {
        outcomes.push({
          ok: false,
          error: new GovernanceError(
            'UNKNOWN_DATASET',
            `scope names unknown dataset(s): ${unknown.join(', ')}`,
            { datasetIds: unknown },
          ),
        });
        continue;
      }
    }
    const ids = intakeIdsFor(event.source, event.id);
    const requestId = ids.requestId;
    const streamId = STREAM_PREFIX + requestId;
    if (receivedAt !== receivedDate) {
      receivedDate = receivedAt;
      receivedIso = receivedAt.toISOString();
    }
    const decision: RequestDeletionDecision = {
      type: 'RequestDeletion',
      data: {
        requestId,
        sourceEventId: event.id,
        source: event.source,
        channel,
        subjectRef: pseudonymizer.refOf(SubjectId(data.subjectId)),
        scope: scope
          ? { datasetIds: scope.datasetIds ?? null, recordIds: scope.recordIds ?? null }
          : null,
        legalBasis: data.legalBasis,
        requestedAt: event.time ? new Date(event.time).toISOString() : receivedIso,
        receivedAt: receivedIso,
        requestedDeadline: data.deadline ?? null,
      },
    };
    if (!toAppend.has(streamId)) {
      // A new stream: the decider's answer from the initial state (ADR 0006).
      let decided;
      try {
        [decided] = deletionRequestDecider.decide(decision, initialDeletionRequestState());
      } catch (e) {
        if (!isGovernanceError(e)) throw e;
        outcomes.push({ ok: false, error: e });
        continue;
      }
      if (decided?.type !== 'DeletionRequested') {
        throw new Error('unreachable: a new request stream decides DeletionRequested');
      }
      if (!http && event.source !== actorSource) {
        actorSource = event.source;
        actor = `kafka:${event.source}`;
      }
      const newEvent: NewEvent<DeletionRequested> = {
        type: decided.type,
        data: decided.data,
        metadata: {
          messageId: ids.eventId,
          correlationId: item.correlationId ?? (http ? command.correlationId : event.id),
          causationId: event.id,
          actor,
          occurredAt: now().toISOString(),
          schemaVersion: 1,
        },
      };
      // One event per new stream: the read-model row built in SQL assumes it.
      toAppend.set(streamId, { streamId, events: [newEvent] });
    }
    outcomes.push({ ok: true, requestId, created: false });
    candidates.push({ index, streamId, requestId, decision });
  }
  return { outcomes, candidates, toAppend };
};
