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
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { AUDIT_SIGNER, type AuditSigner } from '@lethe/audit';
import { backoffCeilingMs, Topics, type BackoffPolicy } from '@lethe/shared';
import { namespacedTopic } from '@lethe/shared/infrastructure/kafka';
import { supersededProgress } from '../../application/commands/accept-job-result/superseded-progress';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import { JobResultProcessor } from '../../application/commands/accept-job-result/job-result.processor';
import { CLOCK, type Clock } from '../../application/ports/clock.port';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../governance.options';
import { KAFKA } from './kafka.provider';

/** What GET /health says about the results consumer. */
export interface ResultsConsumerHealth {
  readonly status: 'up' | 'starting' | 'down' | 'off';
  readonly since: string;
  readonly error?: string;
}

const RESTART_BACKOFF: BackoffPolicy = { baseDelayMs: 1_000, maxDelayMs: 30_000 };

/**
 * Consumes `lethe.unlearning-results.v1` (own consumer group) with manual offset commits: each
 * message is processed (JobResultProcessor: its effect committed, or its refusal recorded) and
 * only then is its offset committed. An infrastructure error fails the batch before the commit:
 * kafkajs retries it, and the redelivered messages change nothing they already changed.
 * docs/adr/0010-job-results.md.
 */
@Injectable()
export class JobResultsKafkaConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobResultsKafkaConsumer.name);
  private consumer: Consumer | null = null;
  private state: ResultsConsumerHealth = { status: 'off', since: new Date().toISOString() };
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
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
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.run.resultsConsumer) await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  health(): ResultsConsumerHealth {
    return this.state;
  }

  private setState(status: ResultsConsumerHealth['status'], error?: string): void {
    if (status === this.state.status && error === this.state.error) return;
    this.state = { status, since: new Date().toISOString(), ...(error ? { error } : {}) };
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.setState('starting');
    await this.connectAndRun();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect().catch(() => undefined);
    this.setState('off');
  }

  private async connectAndRun(): Promise<void> {
    const { namespace } = this.options.kafka;
    const consumer = this.kafka.consumer({
      groupId: namespacedTopic(namespace, this.options.results.groupId),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: this.options.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.options.kafka.sessionTimeoutMs / 3)),
    });
    this.consumer = consumer;
    const e = consumer.events;
    consumer.on(e.GROUP_JOIN, () => {
      this.restarts = 0;
      this.setState('up');
    });
    consumer.on(e.CRASH, ({ payload }) => {
      if (consumer === this.consumer) this.onCrash(payload.error, payload.restart);
    });
    await consumer.connect();
    await consumer.subscribe({
      topic: namespacedTopic(namespace, Topics.unlearningResults),
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(consumer, payload),
    });
  }

  private onCrash(error: unknown, kafkajsRestarts: boolean): void {
    if (this.stopping) return;
    const message = error instanceof Error ? error.message : String(error);
    this.setState('down', message);
    if (kafkajsRestarts) {
      this.logger.warn(`results consumer crashed, kafkajs restarts it: ${message}`);
      return;
    }
    this.restarts += 1;
    const delay = backoffCeilingMs(this.restarts, RESTART_BACKOFF);
    this.logger.error(`results consumer stopped (${message}); restarting it in ${delay} ms`);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void (async () => {
        if (this.stopping) return;
        const old = this.consumer;
        this.consumer = null;
        await old?.disconnect().catch(() => undefined);
        if (this.stopping) return;
        try {
          await this.connectAndRun();
        } catch (err) {
          this.onCrash(err, false);
        }
      })();
    }, delay);
  }

  private async handleBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const skip = supersededProgress(batch.messages);
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) return;
      if (skip.has(message.offset)) {
        // Superseded by a later result of its job in this batch: that one's commit covers it.
        payload.resolveOffset(message.offset);
        continue;
      }
      const origin = { topic: batch.topic, partition: batch.partition, offset: message.offset };
      await RequestContextStore.run(
        { correlationId: `${batch.topic}:${batch.partition}:${message.offset}` },
        async () => {
          await this.processor.process({
            ...origin,
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value,
          });
          // The effect (or the refusal) is committed in PostgreSQL: only now move the offset.
          await consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(message.offset) + 1n).toString(),
            },
          ]);
          payload.resolveOffset(message.offset);
          await payload.heartbeat();
        },
      );
    }
  }
}
