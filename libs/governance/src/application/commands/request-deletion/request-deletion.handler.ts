import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { SubjectId, type DeletionRequestId } from '@lethe/shared';
import { appendToNewStreams, type NewEvent, type NewStream } from '@lethe/event-store';
import { deletionRequestDecider } from '../../../domain/deletion-request/deletion-request.decider';
import type { DeletionRequested } from '../../../domain/deletion-request/deletion-request.events';
import { initialDeletionRequestState } from '../../../domain/deletion-request/deletion-request.state';
import { GovernanceError } from '../../../domain/governance.errors';
import { streams } from '../../../domain/shared/stream-names';
import { DatasetRegistry } from '../../ports/dataset-registry.port';
import { governanceEventMessage } from '../../messages/governance-cloud-event';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { deletionRequestsView } from '../../projections/deletion-requests.projection';
import {
  SUBJECT_PSEUDONYMIZER,
  type SubjectPseudonymizer,
} from '../../ports/subject-pseudonymizer.port';
import { intakeIdsFor } from '../../ids';
import {
  RequestDeletionCommand,
  type DeletionIntakeItem,
  type DeletionIntakeOutcome,
} from './request-deletion.command';

const requestsView = deletionRequestsView();

/**
 * Turns validated deletion events into `DeletionRequested` events on one new stream per request,
 * all in one transaction (multi-row appends), skipping requests that exist already: the same
 * CloudEvent id again, from either door, changes nothing. Unknown datasets in `scope` are refused
 * per item (UNKNOWN_DATASET) without failing the rest of the batch.
 */
@CommandHandler(RequestDeletionCommand)
export class RequestDeletionHandler implements ICommandHandler<RequestDeletionCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly datasets: DatasetRegistry,
    @Inject(SUBJECT_PSEUDONYMIZER) private readonly pseudonymizer: SubjectPseudonymizer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: RequestDeletionCommand): Promise<readonly DeletionIntakeOutcome[]> {
    const known = await this.datasets.existing(
      command.items.flatMap((i) => i.event.data.scope?.datasetIds ?? []),
    );
    const outcomes: DeletionIntakeOutcome[] = [];
    const toAppend = new Map<string, NewStream<DeletionRequested>>();
    for (const item of command.items) {
      const ids = intakeIdsFor(item.event.id);
      const requestId = ids.requestId;
      const unknown = (item.event.data.scope?.datasetIds ?? []).filter((d) => !known.has(d));
      if (unknown.length > 0) {
        outcomes.push({
          ok: false,
          error: new GovernanceError(
            'UNKNOWN_DATASET',
            `scope names unknown dataset(s): ${unknown.join(', ')}`,
            {
              datasetIds: unknown,
            },
          ),
        });
        continue;
      }
      outcomes.push({ ok: true, requestId, created: false });
      const target = streams.deletionRequest(requestId);
      if (toAppend.has(target.streamId)) continue; // same id twice in one batch: first wins
      const event = this.toEvent(item, command, ids);
      toAppend.set(target.streamId, {
        streamId: target.streamId,
        events: [event],
        outbox: [governanceEventMessage(event, target, 1)],
      });
    }
    if (toAppend.size === 0) return outcomes;

    // Sorted, so two concurrent batches lock stream rows in the same order (no deadlock).
    const batch: NewStream<DeletionRequested>[] = [...toAppend.values()].sort((a, b) =>
      a.streamId < b.streamId ? -1 : 1,
    );
    const { created } = await runGovernanceTransaction(
      this.dataSource,
      metadataFor(this.clock, command.correlationId, command.actor),
      async (tx) => {
        const result = await appendToNewStreams(tx.manager, batch);
        // Inline read model: the new requests are visible when this transaction commits.
        const fresh = batch
          .filter((s) => result.created.has(s.streamId))
          .flatMap((s) =>
            s.events.map((e, i) => ({ ...e, streamId: s.streamId, streamVersion: i + 1 })),
          );
        await requestsView.writeRows(tx.manager, requestsView.rowsOfNewStreams(fresh));
        return result;
      },
    );
    const claimed = new Set<string>();
    return outcomes.map((o) => {
      if (!o.ok) return o;
      const streamId = streams.deletionRequest(o.requestId).streamId;
      const isNew = created.has(streamId) && !claimed.has(streamId);
      if (isNew) claimed.add(streamId);
      return { ...o, created: isNew };
    });
  }

  private toEvent(
    item: DeletionIntakeItem,
    command: RequestDeletionCommand,
    ids: { requestId: DeletionRequestId; eventId: string },
  ): NewEvent<DeletionRequested> {
    const { event, receivedAt } = item;
    const requestedAt = event.time ? new Date(event.time) : receivedAt;
    const scope = event.data.scope;
    // A new stream: the decider's answer from the initial state (ADR 0006).
    const [decided] = deletionRequestDecider.decide(
      {
        type: 'RequestDeletion',
        data: {
          requestId: ids.requestId,
          sourceEventId: event.id,
          source: event.source,
          channel: command.channel,
          subjectRef: this.pseudonymizer.refOf(SubjectId(event.data.subjectId)),
          scope: scope
            ? { datasetIds: scope.datasetIds ?? null, recordIds: scope.recordIds ?? null }
            : null,
          legalBasis: event.data.legalBasis,
          requestedAt: requestedAt.toISOString(),
          receivedAt: receivedAt.toISOString(),
          requestedDeadline: event.data.deadline ?? null,
        },
      },
      initialDeletionRequestState(),
    );
    if (decided?.type !== 'DeletionRequested') {
      throw new Error('unreachable: a new request stream decides DeletionRequested');
    }
    return {
      ...decided,
      metadata: {
        messageId: ids.eventId,
        correlationId:
          item.correlationId ?? (command.channel === 'http' ? command.correlationId : event.id),
        causationId: event.id,
        actor: command.channel === 'http' ? command.actor : `kafka:${event.source}`,
        occurredAt: this.clock.now().toISOString(),
        schemaVersion: 1,
      },
    };
  }
}
