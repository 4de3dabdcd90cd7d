import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { LoggerPort } from '@lethe/shared/application';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import type {
  DeletionIntakeProcessor,
  IntakeChunk,
  IntakeChunkResult,
} from '../../application/commands/request-deletion/deletion-intake.processor';
import { GroupCommit } from './group-commit';

/** Largest slice of a fetched batch, and most messages in one intake transaction. */
export const CHUNK = 5000;

/**
 * Intake rounds under way at once: while one commits (transaction, offset commit), the next is
 * validated, decided and written (ADR 0013).
 */
export const ROUNDS_IN_FLIGHT = 2;

/** The group commit's job: one chunk of one partition's batch. */
type IntakeJob = IntakeChunk;

/**
 * One run of the intake consumer: the group commit with overlapping rounds (ADR 0013).
 *
 * `eachBatch` returns as soon as its chunks are admitted to the group commit (and their offsets
 * resolved in kafkajs' memory, so it fetches on), not when they are committed: while PostgreSQL
 * commits round k, kafkajs fetches and round k+1 validates, decides and runs its transaction.
 * Offsets are committed only by the rounds' acknowledgements, strictly in round order, each after
 * its own transaction and the previous round's offset commit (`autoCommit` is off, so kafkajs
 * never commits a resolved offset by itself). A failed round poisons every later one: none of
 * them commits an offset, each partition they held is rewound (`seek`) to its first message
 * among them (everything before it is committed or in an earlier round still to acknowledge),
 * and the next `eachBatch` call fails as a failed round used to, so kafkajs backs off and retries.
 * Redelivered messages are absorbed by the command (same (source, id), same content: nothing
 * changes).
 */
export class IntakeRun {
  readonly rounds: GroupCommit<IntakeJob, IntakeChunkResult>;
  private failure: { error: unknown } | null = null;
  private closing = false;

  constructor(
    private readonly consumer: Pick<Consumer, 'commitOffsets' | 'seek' | 'pause'>,
    private readonly processor: Pick<DeletionIntakeProcessor, 'processMany'>,
    private readonly logger: Pick<LoggerPort, 'warn'>,
    private readonly topic: string,
    roundsInFlight = ROUNDS_IN_FLIGHT,
  ) {
    this.rounds = new GroupCommit<IntakeJob, IntakeChunkResult>(
      (jobs) => this.runRound(jobs),
      (job) => job.messages.length,
      CHUNK,
      {
        maxInFlight: roundsInFlight,
        ack: (jobs) => this.commitRound(jobs),
        onPoison: (jobs, error) => this.rewind(jobs, error),
      },
    );
  }

  /**
   * One partition's batch, chunk by chunk: each chunk is admitted to the group commit, its offset
   * resolved so kafkajs fetches past it, and the call returns once the chunk is in a started
   * round (not when that round is done). Rounds gather the chunks of several partitions and fetches into one
   * transaction and one offset commit (ADR 0013).
   */
  async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    for (let i = 0; i < batch.messages.length; i += CHUNK) {
      if (this.closing || !payload.isRunning() || payload.isStale()) return;
      if (this.failure) {
        // A round failed: fail this batch as the round would have (kafkajs backs off, retries,
        // and after its retries restarts the consumer); nothing of it is resolved.
        const { error } = this.failure;
        this.failure = null;
        throw error;
      }
      const chunk = batch.messages.slice(i, i + CHUNK);
      const last = chunk[chunk.length - 1];
      if (!last) return;
      const done = this.rounds.submit({
        topic: batch.topic,
        partition: batch.partition,
        messages: chunk,
      });
      payload.resolveOffset(last.offset);
      done.then(
        (result) => {
          if (result.deadLettered > 0) {
            this.logger.warn(
              `intake: ${result.deadLettered} message(s) of partition ${batch.partition} sent to the DLQ`,
            );
          }
        },
        () => undefined, // the round's failure is handled by `rewind`
      );
      // Return (and let kafkajs fetch again) once the chunk is in a started round: fetches keep
      // pace with the rounds instead of spinning on a few messages each.
      await this.rounds.room();
      await payload.heartbeat();
    }
  }

  /** Stops admitting chunks and waits for the rounds in flight (their offsets committed). */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      try {
        this.consumer.pause([{ topic: this.topic }]); // no refetch of what is not admitted
      } catch {
        // Not running (never joined, or crashed): nothing is fetched anyway.
      }
    }
    await this.rounds.idle();
  }

  /**
   * One round: one RequestDeletionCommand (one transaction) for all its chunks, DLQ included.
   * Its log lines carry its own correlation id, naming its chunks (each message's events and DLQ
   * line carry the message's: see DeletionIntakeProcessor).
   */
  private runRound(jobs: readonly IntakeJob[]): Promise<IntakeChunkResult[]> {
    return RequestContextStore.run({ correlationId: roundId(jobs) }, () =>
      this.processor.processMany(jobs),
    );
  }

  /** The round's acknowledgement: one offset commit, past each partition's last message in it. */
  private async commitRound(jobs: readonly IntakeJob[]): Promise<void> {
    const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const j of jobs) {
      const last = j.messages.at(-1);
      if (!last) continue;
      const offset = BigInt(last.offset) + 1n;
      const key = `${j.topic}:${j.partition}`;
      const seen = next.get(key);
      if (!seen || seen.offset < offset) {
        next.set(key, { topic: j.topic, partition: j.partition, offset });
      }
    }
    await RequestContextStore.run({ correlationId: roundId(jobs) }, () =>
      this.consumer.commitOffsets(
        [...next.values()].map((o) => ({ ...o, offset: o.offset.toString() })),
      ),
    );
  }

  /**
   * A round failed: `jobs` (its own, every later round's, the queued ones) will never be
   * acknowledged. Each partition among them is rewound to its first message among them, and the
   * next batch fails with the error.
   */
  private rewind(jobs: readonly IntakeJob[], error: unknown): void {
    const first = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const j of jobs) {
      const head = j.messages[0];
      if (!head) continue;
      const offset = BigInt(head.offset);
      const key = `${j.topic}:${j.partition}`;
      const seen = first.get(key);
      if (!seen || offset < seen.offset) {
        first.set(key, { topic: j.topic, partition: j.partition, offset });
      }
    }
    this.failure = { error };
    for (const o of first.values()) {
      this.consumer.seek({ topic: o.topic, partition: o.partition, offset: o.offset.toString() });
    }
  }
}

/** A round's correlation id: its chunks, `topic:partition:first-last` each. */
const roundId = (jobs: readonly IntakeJob[]): string =>
  jobs
    .map((j) => `${j.topic}:${j.partition}:${j.messages[0]?.offset}-${j.messages.at(-1)?.offset}`)
    .join(',');
