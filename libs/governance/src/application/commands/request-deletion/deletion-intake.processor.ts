import type { CommandBus } from '@nestjs/cqrs';
import type { KafkaMessage } from 'kafkajs';
import { type DomainError, isDomainError } from '@lethe/shared';
import { type LoggerPort } from '@lethe/shared/application';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import { GovernanceError, GovernanceErrorCode } from '../../../domain/governance.errors';
import type { DeadLetter, DeadLetterSink } from '../../ports/dead-letter.port';
import type { Clock } from '../../ports/clock.port';
import { noIntakeMetrics, type IntakeMetrics } from '../../ports/intake-metrics.port';
import { RequestDeletionCommand, type DeletionIntakeItem } from './request-deletion.command';
import type { DeletionRequestValidator } from './request-deletion.dto';
import { correlationIdOfMessage } from './message-correlation';
import { writeInGroups, type WriterLimits } from './round-writers';

export type IntakeLogger = Pick<LoggerPort, 'warn'>;

/** Consecutive messages of one partition. */
export interface IntakeChunk {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

export interface IntakeChunkResult {
  readonly accepted: number;
  readonly created: number;
  readonly deadLettered: number;
}

/** A chunk whose transaction has committed, its refusals not yet published (`finish`). */
export interface WrittenChunk {
  accepted: number;
  created: number;
  readonly letters: (DeadLetter & { correlationId: string })[];
}

/**
 * The Kafka door's logic, apart from kafkajs' consumer loop: validate a chunk of messages, run
 * the one RequestDeletionCommand for the valid ones, dead-letter the rest. When it resolves, every
 * message of the chunk is either durable in the event store or on the DLQ, so the caller may
 * commit the offsets. If the command fails as a whole, each message is retried alone, so one
 * poison message ends on the DLQ instead of blocking the partition; infrastructure errors
 * (database down) propagate and nothing is committed.
 */
export class DeletionIntakeProcessor {
  constructor(
    private readonly validator: DeletionRequestValidator,
    private readonly commandBus: CommandBus,
    private readonly deadLetters: DeadLetterSink,
    private readonly clock: Clock,
    private readonly logger: IntakeLogger = { warn: () => undefined },
    private readonly metrics: IntakeMetrics = noIntakeMetrics,
  ) {}

  async process(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
  ): Promise<IntakeChunkResult> {
    const [result] = await this.processMany([{ topic, partition, messages }]);
    return result ?? { accepted: 0, created: 0, deadLettered: 0 };
  }

  /**
   * Several chunks (of one or more partitions) in ONE RequestDeletionCommand, so one transaction
   * and one commit flush for all of them (the intake's group commit, ADR 0013). One result per
   * chunk, in order. When it resolves, every message of every chunk is durable or on the DLQ.
   */
  async processMany(chunks: readonly IntakeChunk[]): Promise<IntakeChunkResult[]> {
    return this.finish(await this.write(chunks));
  }

  /**
   * A group-commit round: like `processMany`, but a round of at least `2 × limits.minMessages`
   * messages is written by one transaction per group of whole partitions, at most
   * `limits.maxWriters` (`writeInGroups`), in flight together, and its refusals go to the DLQ
   * only once every group has committed (ADR 0013, "parallel writers"). If a group fails, the
   * round fails with nothing published; groups that did commit are absorbed as repeats when the
   * round is redelivered.
   */
  async processRound(
    chunks: readonly IntakeChunk[],
    limits: WriterLimits,
  ): Promise<IntakeChunkResult[]> {
    // One receipt time for the whole round, as in one transaction.
    const receivedAt = this.clock.now();
    return this.finish(
      await writeInGroups(chunks, limits, (group, sending) =>
        this.write(group, { receivedAt, sending }),
      ),
    );
  }

  /**
   * The first half of `processMany`: validates the chunks and runs their one
   * RequestDeletionCommand (one transaction). Nothing is published and nothing counted yet: the
   * refusals travel in the result, for `finish`. A round written by several transactions at once
   * (ADR 0013, "parallel writers") calls this once per transaction and `finish` once, after all
   * have committed, so a round that fails part-way publishes nothing to the DLQ.
   */
  async write(
    chunks: readonly IntakeChunk[],
    round: { readonly receivedAt?: Date; readonly sending?: () => void } = {},
  ): Promise<WrittenChunk[]> {
    const receivedAt = round.receivedAt ?? this.clock.now();
    const written: WrittenChunk[] = chunks.map(() => ({ accepted: 0, created: 0, letters: [] }));
    const valid: { message: KafkaMessage; item: DeletionIntakeItem; chunk: number }[] = [];
    chunks.forEach(({ topic, partition, messages }, chunk) => {
      for (const message of messages) {
        const parsed = this.validator.fromBytes(message.value);
        // Per message: the upstream's x-correlation-id, else the CloudEvent id (else its position).
        const correlationId = correlationIdOfMessage(
          message.headers,
          parsed.ok ? parsed.value.id : `${topic}:${partition}:${message.offset}`,
        );
        if (parsed.ok) {
          valid.push({ message, item: { event: parsed.value, receivedAt, correlationId }, chunk });
        } else {
          written[chunk]?.letters.push({
            message,
            topic,
            partition,
            error: parsed.error,
            correlationId,
          });
        }
      }
    });
    const outcomes = await this.runAll(
      valid.map((v) => v.item),
      round.sending,
    );
    outcomes.forEach((outcome, i) => {
      const v = valid[i];
      const w = v && written[v.chunk];
      const c = v && chunks[v.chunk];
      if (!v || !w || !c) return;
      if (outcome.ok) {
        w.accepted += 1;
        if (outcome.created) w.created += 1;
      } else {
        w.letters.push({
          message: v.message,
          topic: c.topic,
          partition: c.partition,
          error: outcome.error,
          correlationId: v.item.correlationId ?? v.item.event.id,
        });
      }
    });
    return written;
  }

  /**
   * The second half: the refused messages of every written chunk to the DLQ (one publish), the
   * intake metrics, one log line per refusal. One result per chunk, in order.
   */
  async finish(written: readonly WrittenChunk[]): Promise<IntakeChunkResult[]> {
    const letters = written.flatMap((w) => w.letters);
    await this.deadLetters.publish(letters);
    // Counted once the chunk is durable (events committed, refusals on the DLQ): a chunk that
    // fails before this point is redelivered and counted then.
    const created = written.reduce((n, w) => n + w.created, 0);
    const accepted = written.reduce((n, w) => n + w.accepted, 0);
    this.metrics.countIntake('kafka', 'accepted', '', created);
    this.metrics.countIntake('kafka', 'duplicate', '', accepted - created);
    for (const l of letters) this.metrics.countIntake('kafka', 'rejected', l.error.code);
    for (const l of letters) {
      RequestContextStore.run({ correlationId: l.correlationId }, () =>
        this.logger.warn(
          `intake: message ${l.partition}/${l.message.offset} sent to the DLQ: ${l.error.code}`,
        ),
      );
    }
    return written.map((w) => ({
      accepted: w.accepted,
      created: w.created,
      deadLettered: w.letters.length,
    }));
  }

  private async runAll(items: readonly DeletionIntakeItem[], sending?: () => void) {
    if (items.length === 0) return [];
    try {
      return await this.commandBus.execute(
        new RequestDeletionCommand(items, 'kafka', 'kafka', '', sending),
      );
    } catch (e) {
      // Infrastructure failures and transient conflicts: no commit, the chunk is redelivered.
      if (!isDomainError(e) || isTransient(e)) throw e;
      // A domain error for the chunk: isolate the item(s) that cause it; each goes to the DLQ with
      // its code and the partition moves on (a chunk of one included: it must not block).
      const results = [];
      for (const item of items) {
        try {
          const [one] = await this.commandBus.execute(
            new RequestDeletionCommand([item], 'kafka', 'kafka', ''),
          );
          results.push(
            one ?? {
              ok: false as const,
              error: new GovernanceError('SCHEMA_VIOLATION', 'no outcome'),
            },
          );
        } catch (inner) {
          if (!(inner instanceof GovernanceError) || isTransient(inner)) throw inner;
          results.push({ ok: false as const, error: inner });
        }
      }
      return results;
    }
  }
}

/**
 * Errors that a retry of the same message can clear: never dead-lettered. A reused idempotency
 * key is a conflict that no retry clears (the stored request does not change): it is the message's.
 */
const isTransient = (e: DomainError): boolean =>
  e.code !== GovernanceErrorCode.IDEMPOTENCY_KEY_REUSED &&
  (e.kind === 'conflict' || e.kind === 'unavailable');
