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
import type { Kafka } from 'kafkajs';
import { DeadLetterPublisher } from './dead-letter-publisher';
import { KAFKA } from './kafka.provider';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../governance.options';
import { CLOCK, type Clock } from '../../application/ports/clock.port';
import { DeletionIntakeProcessor } from '../../application/commands/request-deletion/deletion-intake.processor';
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
import { IntakeRun } from './intake-run';

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
  /** The current run (for tests and stop). */
  private current: IntakeRun | null = null;

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
    // No new chunk is admitted, and the rounds in flight finish (offsets committed) before the
    // consumer leaves its group.
    await this.current?.close();
    this.current = null;
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
    const run = new IntakeRun(
      consumer,
      processor,
      this.logger,
      namespacedTopic(namespace, Topics.deletionRequests),
    );
    this.current = run;
    return {
      consumer,
      run: () =>
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.options.kafka.intakeConcurrency,
          eachBatch: (payload) => run.handleBatch(payload),
        }),
    };
  }
}
