import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Kafka } from 'kafkajs';
import { AUDIT_SIGNER, type AuditSigner } from '@lethe/audit';
import { Topics } from '@lethe/shared';
import { loggerPortOf } from '@lethe/shared/application';
import {
  SupervisedKafkaConsumer,
  handleEachThenCommit,
  namespacedTopic,
  type ConsumerHealth,
  type ConsumerRun,
} from '@lethe/shared/infrastructure/kafka';
import { supersededProgress } from '../../application/commands/accept-job-result/superseded-progress';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import { JobResultProcessor } from '../../application/commands/accept-job-result/job-result.processor';
import { CLOCK, type Clock } from '../../application/ports/clock.port';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../governance.options';
import { KAFKA } from './kafka.provider';

/** What GET /health says about the results consumer. */
export type ResultsConsumerHealth = ConsumerHealth;

/**
 * Consumes `lethe.unlearning-results.v1` (own consumer group) with manual offset commits: each
 * message is processed (JobResultProcessor: its effect committed, or its refusal recorded) and
 * only then is its offset committed. An infrastructure error fails the batch before the commit:
 * kafkajs retries it, and the redelivered messages change nothing they already changed.
 * Supervised (health, restart with backoff) by SupervisedKafkaConsumer.
 * docs/adr/0010-job-results.md.
 */
@Injectable()
export class JobResultsKafkaConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobResultsKafkaConsumer.name);
  private readonly supervisor: SupervisedKafkaConsumer;
  private readonly processor: JobResultProcessor;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
    commandBus: CommandBus,
    dataSource: DataSource,
    @Inject(CLOCK) clock: Clock,
    @Optional() @Inject(AUDIT_SIGNER) signer: AuditSigner | null,
  ) {
    this.processor = new JobResultProcessor(commandBus, dataSource, signer ?? null, clock, {
      warn: (m) => this.logger.warn(m),
      info: (m) => this.logger.log(m),
    });
    this.supervisor = new SupervisedKafkaConsumer({
      name: 'results consumer',
      topic: namespacedTopic(options.kafka.namespace, Topics.unlearningResults),
      logger: loggerPortOf(this.logger),
      open: () => Promise.resolve(this.open()),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.run.resultsConsumer) await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  health(): ResultsConsumerHealth {
    return this.supervisor.health();
  }

  async start(): Promise<void> {
    await this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop();
  }

  private open(): ConsumerRun {
    const { namespace } = this.options.kafka;
    const consumer = this.kafka.consumer({
      groupId: namespacedTopic(namespace, this.options.results.groupId),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: this.options.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.options.kafka.sessionTimeoutMs / 3)),
    });
    return {
      consumer,
      run: () =>
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          // The effect (or the refusal) is committed in PostgreSQL before the offset moves.
          // Progress results a later result of the same job in this batch supersedes are passed
          // over (the later one's commit covers them): a finished job is not queued behind them.
          eachBatch: (payload) =>
            handleEachThenCommit(
              consumer,
              payload,
              (message) => {
                const { topic, partition } = payload.batch;
                return RequestContextStore.run(
                  { correlationId: `${topic}:${partition}:${message.offset}` },
                  () =>
                    this.processor.process({
                      topic,
                      partition,
                      offset: message.offset,
                      key: message.key === null ? null : message.key.toString('utf8'),
                      value: message.value,
                    }),
                );
              },
              supersededProgress(payload.batch.messages),
            ),
        }),
    };
  }
}
