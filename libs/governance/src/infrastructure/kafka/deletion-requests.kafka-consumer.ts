import {
  Inject,
  Injectable,
  Logger,
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
import { DeadLetterPublisher } from './dead-letter-publisher';
import { KAFKA } from './kafka.provider';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../governance.options';
import { CLOCK, type Clock } from '../../application/ports/clock.port';
import { DeletionIntakeProcessor } from '../../application/commands/request-deletion/deletion-intake.processor';
import { DeletionRequestValidator } from '../../application/commands/request-deletion/request-deletion.dto';
import { namespacedTopic } from '@lethe/shared/infrastructure/kafka';

/** Largest slice of a fetched batch handled in one transaction. */
const CHUNK = 5000;

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

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
    private readonly commandBus: CommandBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.run.intakeConsumer) await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async start(): Promise<void> {
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
      new DeadLetterPublisher(this.producer, namespace),
      this.clock,
      { warn: (m) => this.logger.warn(m) },
    );
    this.consumer = this.kafka.consumer({
      groupId: namespacedTopic(namespace, intakeGroupId),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 50,
      sessionTimeout: this.options.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.options.kafka.sessionTimeoutMs / 3)),
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topic: namespacedTopic(namespace, Topics.deletionRequests),
      fromBeginning: true,
    });
    const consumer = this.consumer;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.kafka.intakeConcurrency,
      eachBatch: (payload) => this.handleBatch(processor, consumer, payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    this.consumer = null;
    this.producer = null;
  }

  private async handleBatch(
    processor: DeletionIntakeProcessor,
    consumer: Consumer,
    payload: EachBatchPayload,
  ): Promise<void> {
    const { batch } = payload;
    for (let i = 0; i < batch.messages.length; i += CHUNK) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(i, i + CHUNK);
      const first = chunk[0];
      const last = chunk[chunk.length - 1];
      if (!first || !last) return;
      // The chunk's log lines carry its own correlation id (each message's events and DLQ line
      // carry the message's: see DeletionIntakeProcessor).
      const correlationId = `${batch.topic}:${batch.partition}:${first.offset}-${last.offset}`;
      await RequestContextStore.run({ correlationId }, async () => {
        const result = await processor.process(batch.topic, batch.partition, chunk);
        // Events are committed (or dead-lettered) now: only then move the group's offset.
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(last.offset) + 1n).toString(),
          },
        ]);
        payload.resolveOffset(last.offset);
        await payload.heartbeat();
        if (result.deadLettered > 0) {
          this.logger.warn(
            `intake: ${result.deadLettered} message(s) of partition ${batch.partition} sent to the DLQ`,
          );
        }
      });
    }
  }
}
