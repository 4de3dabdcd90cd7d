import type { Kafka } from 'kafkajs';
import { Topics } from '@lethe/shared';
import type { LoggerPort } from '@lethe/shared/application';
import {
  SupervisedKafkaConsumer,
  handleEachThenCommit,
  idempotentProducerConfig,
  namespacedTopic,
  type ConsumerHealth,
  type ConsumerRun,
  type Own,
} from '@lethe/shared/infrastructure/kafka';
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

export type JobConsumerHealth = ConsumerHealth['status'];

/**
 * The worker's Kafka door: consumes lethe.unlearning-jobs.v1 in a consumer group (key = model
 * id, so one model's jobs are on one partition and run one after another), hands each message to
 * the JobRunner, and commits its offset only after the runner resolved, i.e. after the job's
 * terminal result was acknowledged by the broker. A crash before the commit redelivers the job;
 * the runner's journal makes the redelivery publish the same result (ADR 0009). The session is
 * kept alive by heartbeats while a job runs (the engine yields to the event loop). Supervised
 * (health, restart with backoff when kafkajs gives up) by SupervisedKafkaConsumer.
 */
export class KafkaJobConsumer {
  private readonly supervisor: SupervisedKafkaConsumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly runnerFor: (sink: ResultSink) => JobRunner,
    private readonly options: KafkaJobConsumerOptions,
    logger: LoggerPort,
  ) {
    this.supervisor = new SupervisedKafkaConsumer({
      name: 'job consumer',
      topic: namespacedTopic(options.namespace, Topics.unlearningJobs),
      logger,
      open: (own) => this.open(own),
    });
  }

  health(): JobConsumerHealth {
    return this.supervisor.health().status;
  }

  async start(): Promise<void> {
    await this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop();
  }

  /** One run: a producer for the results, the runner over it, and the consumer. */
  private async open(own: Own): Promise<ConsumerRun> {
    const { namespace } = this.options;
    const producer = own(this.kafka.producer(idempotentProducerConfig));
    await producer.connect();
    const runner = this.runnerFor(new KafkaResultSink(producer, namespace));
    const consumer = this.kafka.consumer({
      groupId: namespacedTopic(namespace, this.options.groupId),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.options.sessionTimeoutMs / 3)),
    });
    return {
      consumer,
      run: () =>
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.options.concurrency,
          // The result is on the broker before the group moves past the job.
          eachBatch: (payload) =>
            handleEachThenCommit(consumer, payload, async (message) => {
              const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), 1000);
              try {
                await runner.handle(message.value);
              } finally {
                clearInterval(beat);
              }
            }),
        }),
    };
  }
}
