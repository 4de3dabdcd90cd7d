import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Topics } from '@lethe/shared';
import { loggerPortOf } from '@lethe/shared/application';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { DeadLetterPublisher } from './dead-letter-publisher';
import { KAFKA } from './kafka.provider';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../governance.options';
import { CLOCK, type Clock } from '../../application/ports/clock.port';
import {
  DeletionIntakeProcessor,
  type IntakeChunk,
  type IntakeChunkResult,
} from '../../application/commands/request-deletion/deletion-intake.processor';
import { DeletionRequestValidator } from '../../application/commands/request-deletion/request-deletion.dto';
import {
  SupervisedKafkaConsumer,
  idempotentProducerConfig,
  namespacedTopic,
  type ConsumerHealth,
  type ConsumerRun,
  type Own,
} from '@lethe/shared/infrastructure/kafka';
import { LetheMetrics } from '@lethe/shared/infrastructure/metrics';
import { GroupCommit } from './group-commit';

/** Most messages in one group-commit round (and, at intakeConcurrency 1, in one chunk). */
const CHUNK = 5000;

/**
 * Largest slice of one partition's batch: the round's size shared by the partitions that may
 * share a round (rounded down, so that that many chunks fit in one round), so that under a
 * backlog a round holds a chunk of each partition, which it then writes with one transaction per
 * partition group (ADR 0013), rather than one partition's 5,000. With parallel writers off
 * (`intakeWriters` 1) a partition's slice stays 5,000.
 */
export const chunkSizeFor = (intakeConcurrency: number, intakeWriters: number): number =>
  intakeWriters < 2 ? CHUNK : Math.max(1, Math.floor(CHUNK / Math.max(1, intakeConcurrency)));

type IntakeJob = IntakeChunk;

/** What GET /health says about the Kafka door. */
export type IntakeHealth = ConsumerHealth;

/**
 * Kafka door of RequestDeletion: consumes `lethe.deletion-requests.v1` with manual offset commits.
 * For each chunk of a batch: validate → one transaction → DLQ the refused → commit the offset after
 * the last message of the chunk. A crash anywhere before the commit redelivers the chunk, which
 * the command absorbs (same CloudEvent id → nothing changes). Supervised (health, restart with
 * backoff when kafkajs gives up) by SupervisedKafkaConsumer.
 */
@Injectable()
export class DeletionRequestsKafkaConsumer
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(DeletionRequestsKafkaConsumer.name);
  private readonly supervisor: SupervisedKafkaConsumer;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
    private readonly commandBus: CommandBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly metrics?: LetheMetrics,
  ) {
    this.supervisor = new SupervisedKafkaConsumer({
      name: 'intake consumer',
      topic: namespacedTopic(options.kafka.namespace, Topics.deletionRequests),
      logger: loggerPortOf(this.logger),
      open: (own) => this.open(own),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.run.intakeConsumer) await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** For GET /health: down from a consumer crash until the group is joined again. */
  health(): IntakeHealth {
    return this.supervisor.health();
  }

  async start(): Promise<void> {
    await this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop();
  }

  /** One run: a producer for the DLQ, the processor, and the consumer with the group commit. */
  private async open(own: Own): Promise<ConsumerRun> {
    const { namespace, intakeGroupId } = this.options.kafka;
    const producer = own(this.kafka.producer(idempotentProducerConfig));
    await producer.connect();
    const processor = new DeletionIntakeProcessor(
      new DeletionRequestValidator(this.options.maxEventBytes),
      this.commandBus,
      new DeadLetterPublisher(producer, namespace, this.metrics),
      this.clock,
      { warn: (m) => this.logger.warn(m) },
      this.metrics,
    );
    const consumer = this.kafka.consumer({
      groupId: namespacedTopic(namespace, intakeGroupId),
      allowAutoTopicCreation: false,
      minBytes: this.options.kafka.intakeFetch.minBytes,
      maxWaitTimeInMs: this.options.kafka.intakeFetch.maxWaitTimeInMs,
      sessionTimeout: this.options.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.options.kafka.sessionTimeoutMs / 3)),
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    const rounds = new GroupCommit<IntakeJob, IntakeChunkResult>(
      (jobs) => this.runRound(processor, consumer, jobs),
      (job) => job.messages.length,
      CHUNK,
    );
    return {
      consumer,
      run: () =>
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.options.kafka.intakeConcurrency,
          eachBatch: (payload) => this.handleBatch(rounds, payload),
        }),
    };
  }

  /**
   * One partition's batch, chunk by chunk. Each chunk goes to the group commit, which puts every
   * chunk handed to it in the same turn (the other partitions' batches of the same fetch, when
   * `intakeConcurrency` lets kafkajs hand them over together) into one transaction and one offset
   * commit (ADR 0013). Only after that round resolves — events committed, refused messages on the
   * DLQ, offsets committed — is the chunk's offset resolved.
   */
  private async handleBatch(
    rounds: GroupCommit<IntakeJob, IntakeChunkResult>,
    payload: EachBatchPayload,
  ): Promise<void> {
    const { batch } = payload;
    const size = chunkSizeFor(
      this.options.kafka.intakeConcurrency,
      this.options.kafka.intakeWriters,
    );
    for (let i = 0; i < batch.messages.length; i += size) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(i, i + size);
      const last = chunk[chunk.length - 1];
      if (!last) return;
      const result = await rounds.submit({
        topic: batch.topic,
        partition: batch.partition,
        messages: chunk,
      });
      payload.resolveOffset(last.offset);
      await payload.heartbeat();
      if (result.deadLettered > 0) {
        this.logger.warn(
          `intake: ${result.deadLettered} message(s) of partition ${batch.partition} sent to the DLQ`,
        );
      }
    }
  }

  /**
   * One round of the group commit: one RequestDeletionCommand (one transaction) for all its
   * chunks — several, one per group of partitions, when the round is large (`writeInGroups`) —
   * then, once all have committed, one offset commit for every partition in it (past each
   * partition's last message). The round's log lines carry its own correlation id, naming its
   * chunks (each message's events and DLQ line carry the message's: see DeletionIntakeProcessor).
   */
  private async runRound(
    processor: DeletionIntakeProcessor,
    consumer: Consumer,
    jobs: readonly IntakeJob[],
  ): Promise<IntakeChunkResult[]> {
    const correlationId = jobs
      .map((j) => `${j.topic}:${j.partition}:${j.messages[0]?.offset}-${j.messages.at(-1)?.offset}`)
      .join(',');
    return RequestContextStore.run({ correlationId }, async () => {
      // Large rounds: one transaction per group of partitions, in flight together; the DLQ and
      // the metrics only once all of them have committed (ADR 0013, "parallel writers").
      const results = await processor.processRound(jobs, {
        minMessages: this.options.kafka.intakeWriterMinMessages,
        maxWriters: this.options.kafka.intakeWriters,
      });
      // Events are committed (or dead-lettered) now: only then move the group's offsets.
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
      await consumer.commitOffsets(
        [...next.values()].map((o) => ({ ...o, offset: o.offset.toString() })),
      );
      return results;
    });
  }
}
