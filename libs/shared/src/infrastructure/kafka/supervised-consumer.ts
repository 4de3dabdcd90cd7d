import {
  Partitioners,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type ProducerConfig,
} from 'kafkajs';
import { backoffCeilingMs, type BackoffPolicy } from '../../domain/backoff';
import type { LoggerPort } from '../../application/logger.port';

/** What a health route says about one supervised consumer. */
export interface ConsumerHealth {
  /** `up`: in its consumer group; `starting`: joining; `down`: crashed, not (yet) back; `off`: not run here. */
  readonly status: 'up' | 'starting' | 'down' | 'off';
  readonly since: string;
  readonly error?: string;
}

/** Anything a run opens besides its consumer (a producer), closed after the consumer. */
export interface Disconnectable {
  disconnect(): Promise<void>;
}

/** Hands a run's resource to the supervisor, which closes it on restart and stop. */
export type Own = <T extends Disconnectable>(resource: T) => T;

/** One run of a supervised consumer, as `open` builds it. */
export interface ConsumerRun {
  /** Created but not connected: the supervisor watches it, connects it and subscribes it. */
  readonly consumer: Consumer;
  /** Connected and subscribed: `consumer.run(...)` with the handlers. */
  readonly run: () => Promise<void>;
}

export interface SupervisedConsumerOptions {
  /** Named in log lines: "intake consumer", "job consumer". */
  readonly name: string;
  /** Full (namespaced) topic name, subscribed from the beginning. */
  readonly topic: string;
  readonly logger: Pick<LoggerPort, 'warn' | 'error'>;
  /**
   * Builds one run. Whatever else it opens (a producer) is handed to `own` at once, before it is
   * connected, so a restart or stop closes it (after the consumer) even if its connect failed.
   */
  readonly open: (own: Own) => Promise<ConsumerRun>;
  /** Our own restarts after a crash kafkajs does not restart (default 1 s doubling to 30 s). */
  readonly restartBackoff?: BackoffPolicy;
}

/** The producer a consumer answers through (results, dead letters): idempotent, in order. */
export const idempotentProducerConfig: ProducerConfig = {
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
  idempotent: true,
  maxInFlightRequests: 1,
};

const RESTART_BACKOFF: BackoffPolicy = { baseDelayMs: 1_000, maxDelayMs: 30_000 };

/**
 * A kafkajs consumer with a lifecycle, a health state and restarts. kafkajs restarts its consumer
 * after a retriable crash (broker gone, retries of a failing batch exhausted: database down) and
 * reports it; after a crash it does not restart (`restart: false`), the consumer would stay dead
 * while the process looked healthy: this restarts it (a fresh `open`), with backoff, until it runs
 * again. Health: `starting` until the group is joined, `up`, `down` from a crash until the group
 * is joined again, `off` when stopped. The restart delay is the deterministic backoff ceiling
 * (1 s, 2 s, 4 s, … 30 s), reset by each join.
 */
export class SupervisedKafkaConsumer {
  private consumer: Consumer | null = null;
  private owned: Disconnectable[] = [];
  private state: ConsumerHealth = { status: 'off', since: new Date().toISOString() };
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SupervisedConsumerOptions) {}

  health(): ConsumerHealth {
    return this.state;
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.setState('starting');
    await this.connectAndRun();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.disconnect();
    this.setState('off');
  }

  private setState(status: ConsumerHealth['status'], error?: string): void {
    if (status === this.state.status && error === this.state.error) return;
    this.state = { status, since: new Date().toISOString(), ...(error ? { error } : {}) };
  }

  private async connectAndRun(): Promise<void> {
    const { consumer, run } = await this.options.open((resource) => {
      this.owned.push(resource);
      return resource;
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
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await run();
  }

  private async disconnect(): Promise<void> {
    const consumer = this.consumer;
    const owned = this.owned;
    this.consumer = null;
    this.owned = [];
    await consumer?.disconnect().catch(() => undefined);
    for (const resource of owned) await resource.disconnect().catch(() => undefined);
  }

  private onCrash(error: unknown, kafkajsRestarts: boolean): void {
    if (this.stopping) return;
    const { name, logger } = this.options;
    const message = error instanceof Error ? error.message : String(error);
    this.setState('down', message);
    if (kafkajsRestarts) {
      logger.warn(`${name} crashed, kafkajs restarts it: ${message}`);
      return;
    }
    this.restarts += 1;
    const delay = backoffCeilingMs(this.restarts, this.options.restartBackoff ?? RESTART_BACKOFF);
    logger.error(`${name} stopped (${message}); restarting it in ${delay} ms`);
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
}

/**
 * The at-least-once loop of a consumer whose effects are idempotent: each message of the batch is
 * handled, and only then is its offset committed (past it), resolved and a heartbeat sent. A
 * failing `handle` fails the batch before the commit: kafkajs redelivers from that message.
 */
export async function handleEachThenCommit(
  consumer: Consumer,
  payload: EachBatchPayload,
  handle: (message: KafkaMessage) => Promise<unknown>,
  /** Offsets to pass over unhandled: a later message of the batch supersedes them, and its commit covers them. */
  skip: ReadonlySet<string> = new Set(),
): Promise<void> {
  const { batch } = payload;
  for (const message of batch.messages) {
    if (!payload.isRunning() || payload.isStale()) return;
    if (skip.has(message.offset)) {
      payload.resolveOffset(message.offset);
      continue;
    }
    await handle(message);
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
