import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { appendToNewStreams, readFirstEvents, type NewStream } from '@lethe/event-store';
import { deletionRequestDecider } from '../../../domain/deletion-request/deletion-request.decider';
import type {
  DeletionRequestEvent,
  DeletionRequested,
} from '../../../domain/deletion-request/deletion-request.events';
import {
  evolveDeletionRequest,
  initialDeletionRequestState,
  type DeletionRequestState,
} from '../../../domain/deletion-request/deletion-request.state';
import { isGovernanceError } from '../../../domain/governance.errors';
import { DatasetRegistry } from '../../ports/dataset-registry.port';
import { governanceEventOutboxSql } from '../../messages/governance-cloud-event';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { DELETION_REQUEST_FIRST_ROWS_SQL } from '../../projections/deletion-requests.projection';
import {
  SUBJECT_PSEUDONYMIZER,
  type SubjectPseudonymizer,
} from '../../ports/subject-pseudonymizer.port';
import { RequestDeletionCommand, type DeletionIntakeOutcome } from './request-deletion.command';
import { prepareRequests, type Candidate } from './request-deletion.prepare';

/**
 * What the append statement builds in SQL from the events it stores (ADR 0013): each event's
 * outbox row, naming the event (the relay builds `governanceEventMessage`'s CloudEvent from it when
 * it publishes), and the request's read-model row (what the view's fold writes), so each event is
 * serialised once and a round is one statement.
 */
const BUILT_IN_SQL = {
  outbox: governanceEventOutboxSql,
  also: [DELETION_REQUEST_FIRST_ROWS_SQL],
} as const;

/**
 * Turns validated deletion events into `DeletionRequested` events on one new stream per request,
 * all in one transaction (multi-row appends). The stream id derives from the idempotency key
 * (source, id); a key whose stream exists already (or that came earlier in the same batch) is
 * decided against that request's first event: same content changes nothing (`created: false`),
 * other content is refused per item with IDEMPOTENCY_KEY_REUSED, naming the existing request.
 * Unknown datasets in `scope` are refused per item (UNKNOWN_DATASET). A refused item writes
 * nothing and does not fail the rest of the batch.
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
    const { outcomes, candidates, toAppend } = prepareRequests(
      command,
      known,
      this.pseudonymizer,
      () => this.clock.now(),
    );
    if (toAppend.size === 0) return outcomes;

    // Sorted, so two concurrent batches lock stream rows in the same order (no deadlock).
    const batch: NewStream<DeletionRequested>[] = [...toAppend.values()].sort((a, b) =>
      a.streamId < b.streamId ? -1 : 1,
    );
    const decided = await runGovernanceTransaction(
      this.dataSource,
      metadataFor(this.clock, command.correlationId, command.actor),
      async (tx) => {
        command.sending?.();
        // One statement: streams, events, outbox and the inline read-model rows (the new
        // requests are visible when this transaction commits).
        const { created } = await appendToNewStreams(tx.manager, batch, BUILT_IN_SQL);
        // Streams that existed: how each began, to decide every repeat of its key against it.
        const existing = await readFirstEvents<DeletionRequestEvent>(
          tx.manager,
          batch.filter((s) => !created.has(s.streamId)).map((s) => s.streamId),
        );
        return this.decideRepeats(candidates, toAppend, created, existing);
      },
    );
    return outcomes.map((o, i) => decided.get(i) ?? o);
  }

  /**
   * The outcome of each candidate, by item index: the first item of a stream created here is
   * `created`; every other item is decided against the stream's first event (stored, or created
   * by an earlier item of this batch): nothing to do (a duplicate) or IDEMPOTENCY_KEY_REUSED.
   */
  private decideRepeats(
    candidates: readonly Candidate[],
    toAppend: ReadonlyMap<string, NewStream<DeletionRequested>>,
    created: ReadonlySet<string>,
    existing: ReadonlyMap<string, DeletionRequestEvent>,
  ): Map<number, DeletionIntakeOutcome> {
    const decided = new Map<number, DeletionIntakeOutcome>();
    const claimed = new Set<string>();
    for (const c of candidates) {
      if (created.has(c.streamId) && !claimed.has(c.streamId)) {
        claimed.add(c.streamId);
        decided.set(c.index, { ok: true, requestId: c.requestId, created: true });
        continue;
      }
      const first = created.has(c.streamId)
        ? toAppend.get(c.streamId)?.events[0]
        : existing.get(c.streamId);
      if (first === undefined) {
        throw new Error(`deletion request stream ${c.streamId} exists without its first event`);
      }
      const state: DeletionRequestState = evolveDeletionRequest(
        initialDeletionRequestState(),
        first,
      );
      try {
        const events = deletionRequestDecider.decide(c.decision, state);
        if (events.length > 0) {
          throw new Error(`deletion request stream ${c.streamId}: a repeat decided new events`);
        }
      } catch (e) {
        if (!isGovernanceError(e)) throw e;
        decided.set(c.index, { ok: false, error: e });
      }
    }
    return decided;
  }
}
