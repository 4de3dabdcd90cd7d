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
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import {
  Partitioners,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
} from 'kafkajs';
import { backoffCeilingMs, type BackoffPolicy } from '@lethe/shared';
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
import { namespacedTopic } from '@lethe/shared/infrastructure/kafka';
import { LetheMetrics } from '@lethe/shared/infrastructure/metrics';
import { GroupCommit } from './group-commit';

/** Largest slice of a fetched batch, and most messages in one intake transaction. */
const CHUNK = 5000;

type IntakeJob = IntakeChunk;

/** What GET /health says about the Kafka door. */
export interface IntakeHealth {
  /** `up`: in its consumer group; `starting`: joining; `down`: crashed, not (yet) back; `off`: not run here. */
  readonly status: 'up' | 'starting' | 'down' | 'off';
  readonly since: string;
  readonly error?: string;
}

/** Backoff of our own restarts when kafkajs gives up on a crash (it restarts retriable ones itself). */
const RESTART_BACKOFF: BackoffPolicy = { baseDelayMs: 1_000, maxDelayMs: 30_000 };

/**
 * Kafka door of RequestDeletion: consumes `lethe.deletion-requests.v1` with manual offset commits.
 * For each chunk of a batch: validate → one transaction → DLQ the refused → commit the offset after
 * the last message of the chunk. A crash anywhere before the commit redelivers the chunk, which
 * the command absorbs (same CloudEvent id → nothing changes).
 */
@Injectable()
export class DeletionRequestsKafkaConsumer
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(DeletionRequestsKafkaConsumer.name);
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private state: IntakeHealth = { status: 'off', since: new Date().toISOString() };
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
    private readonly commandBus: CommandBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly metrics?: LetheMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.run.intakeConsumer) await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** For GET /health: down from a consumer crash until the group is joined again. */
  health(): IntakeHealth {
    return this.state;
  }

  private setState(status: IntakeHealth['status'], error?: string): void {
    if (status === this.state.status && error === this.state.error) return;
    this.state = { status, since: new Date().toISOString(), ...(error ? { error } : {}) };
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.setState('starting');
    await this.connectAndRun();
  }

  private async connectAndRun(): Promise<void> {
    const { namespace, intakeGroupId } = this.options.kafka;
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await this.producer.connect();
    const processor = new DeletionIntakeProcessor(
      new DeletionRequestValidator(this.options.maxEventBytes),
      this.commandBus,
      new DeadLetterPublisher(this.producer, namespace, this.metrics),
      this.clock,
      { warn: (m) => this.logger.warn(m) },
      this.metrics,
    );
    this.consumer = this.kafka.consumer({
      groupId: namespacedTopic(namespace, intakeGroupId),
      allowAutoTopicCreation: false,
      minBytes: this.options.kafka.intakeFetch.minBytes,
      maxWaitTimeInMs: this.options.kafka.intakeFetch.maxWaitTimeInMs,
      sessionTimeout: this.options.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.options.kafka.sessionTimeoutMs / 3)),
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    this.watch(this.consumer);
    await this.consumer.connect();
    await this.consumer.subscribe({
      topic: namespacedTopic(namespace, Topics.deletionRequests),
      fromBeginning: true,
    });
    const consumer = this.consumer;
    const rounds = new GroupCommit<IntakeJob, IntakeChunkResult>(
      (jobs) => this.runRound(processor, consumer, jobs),
      (job) => job.messages.length,
      CHUNK,
    );
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.kafka.intakeConcurrency,
      eachBatch: (payload) => this.handleBatch(rounds, payload),
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.disconnect();
    this.setState('off');
  }

  private async disconnect(): Promise<void> {
    const consumer = this.consumer;
    const producer = this.producer;
    this.consumer = null;
    this.producer = null;
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  /**
   * kafkajs restarts its consumer after a retriable crash (broker gone, retries of a failing
   * batch exhausted: database down) and reports it here. After a crash it does not restart
   * (`restart: false`), the consumer would stay dead while the process looked healthy: we
   * restart it ourselves, with backoff, until it runs again.
   */
  private watch(consumer: Consumer): void {
    const e = consumer.events;
    consumer.on(e.GROUP_JOIN, () => {
      this.restarts = 0;
      this.setState('up');
    });
    consumer.on(e.CRASH, ({ payload }) => {
      if (consumer !== this.consumer) return;
      this.onCrash(payload.error, payload.restart);
    });
  }

  private onCrash(error: unknown, kafkajsRestarts: boolean): void {
    if (this.stopping) return;
    const message = error instanceof Error ? error.message : String(error);
    this.setState('down', message);
    if (kafkajsRestarts) {
      this.logger.warn(`intake consumer crashed, kafkajs restarts it: ${message}`);
      return;
    }
    this.restarts += 1;
    const delay = backoffCeilingMs(this.restarts, RESTART_BACKOFF);
    this.logger.error(`intake consumer stopped (${message}); restarting it in ${delay} ms`);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void (async () => {
        if (this.stopping) return;
        await this.disconnect();
        if (this.stopping) return;
        try {
          await this.connectAndRun();
        } catch (e) {
          this.onCrash(e, false);
        }
      })();
    }, delay);
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
    for (let i = 0; i < batch.messages.length; i += CHUNK) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(i, i + CHUNK);
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
   * chunks, then one offset commit for every partition in it (past each partition's last
   * message). The round's log lines carry its own correlation id, naming its chunks (each
   * message's events and DLQ line carry the message's: see DeletionIntakeProcessor).
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
      const results = await processor.processMany(jobs);
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
