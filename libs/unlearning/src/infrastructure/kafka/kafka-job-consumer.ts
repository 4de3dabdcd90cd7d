import {
  Partitioners,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
} from 'kafkajs';
import { Topics, backoffCeilingMs, type BackoffPolicy } from '@lethe/shared';
import type { LoggerPort } from '@lethe/shared/application';
import type { JobRunner } from '../../application/jobs/job-runner';
import type { ResultSink } from '../../application/jobs/job-ports';
import { KafkaResultSink } from './kafka-result-sink';

export interface KafkaJobConsumerOptions {
  /** Topic and group prefix (LETHE_TOPIC_NAMESPACE). */
  readonly namespace: string;
  /** Consumer group of every worker instance (namespaced). */
  readonly groupId: string;
  /** How soon a dead worker's partitions move to another instance. */
  readonly sessionTimeoutMs: number;
  /** Partitions (so models) handled at once by this instance; one job per model at a time. */
  readonly concurrency: number;
}

export type JobConsumerHealth = 'off' | 'starting' | 'up' | 'down';

const RESTART_BACKOFF: BackoffPolicy = { baseDelayMs: 1_000, maxDelayMs: 30_000 };

/**
 * The worker's Kafka door: consumes lethe.unlearning-jobs.v1 in a consumer group (key = model
 * id, so one model's jobs are on one partition and run one after another), hands each message to
 * the JobRunner, and commits its offset only after the runner resolved, i.e. after the job's
 * terminal result was acknowledged by the broker. A crash before the commit redelivers the job;
 * the runner's journal makes the redelivery publish the same result (ADR 0009). The session is
 * kept alive by heartbeats while a job runs (the engine yields to the event loop).
 */
export class KafkaJobConsumer {
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private state: JobConsumerHealth = 'off';
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly runnerFor: (sink: ResultSink) => JobRunner,
    private readonly options: KafkaJobConsumerOptions,
    private readonly logger: LoggerPort,
  ) {}

  health(): JobConsumerHealth {
    return this.state;
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.state = 'starting';
    await this.connectAndRun();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.disconnect();
    this.state = 'off';
  }

  private async connectAndRun(): Promise<void> {
    const { namespace } = this.options;
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await this.producer.connect();
    const runner = this.runnerFor(new KafkaResultSink(this.producer, namespace));
    const consumer = this.kafka.consumer({
      groupId: `${namespace}${this.options.groupId}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.options.sessionTimeoutMs / 3)),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.restarts = 0;
      this.state = 'up';
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (consumer !== this.consumer || this.stopping) return;
      this.onCrash(payload.error, payload.restart);
    });
    await consumer.connect();
    await consumer.subscribe({
      topic: `${namespace}${Topics.unlearningJobs}`,
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency,
      eachBatch: (payload) => this.handleBatch(runner, consumer, payload),
    });
  }

  private async handleBatch(
    runner: JobRunner,
    consumer: Consumer,
    payload: EachBatchPayload,
  ): Promise<void> {
    const { batch } = payload;
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) return;
      const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), 1000);
      try {
        await runner.handle(message.value);
      } finally {
        clearInterval(beat);
      }
      // The result is on the broker: only now does the group move past the job.
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: (BigInt(message.offset) + 1n).toString(),
        },
      ]);
      payload.resolveOffset(message.offset);
      await payload.heartbeat();
    }
  }

  private onCrash(error: unknown, kafkajsRestarts: boolean): void {
    const message = error instanceof Error ? error.message : String(error);
    this.state = 'down';
    if (kafkajsRestarts) {
      this.logger.warn(`job consumer crashed, kafkajs restarts it: ${message}`);
      return;
    }
    this.restarts += 1;
    const delay = backoffCeilingMs(this.restarts, RESTART_BACKOFF);
    this.logger.error(`job consumer stopped (${message}); restarting it in ${delay} ms`);
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

  private async disconnect(): Promise<void> {
    const consumer = this.consumer;
    const producer = this.producer;
    this.consumer = null;
    this.producer = null;
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
}
