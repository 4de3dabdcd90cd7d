import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { LetheMetrics } from './lethe-metrics';

export interface ConsumerLagOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** The group and topic as on the broker (namespaced). */
  readonly groupId: string;
  readonly topic: string;
  /** Series labels (the contract names, the same in every deployment); default the ones above. */
  readonly labels?: { readonly group: string; readonly topic: string };
  readonly timeoutMs?: number;
}

/**
 * Messages on `topic` past the group's committed offsets, summed over partitions: the queue in
 * front of a consumer group. A partition the group never committed counts from its low watermark.
 * One admin client with short retries (a scrape never waits on kafkajs' default backoff),
 * connected on first use and kept; after a failure it is dropped and the next call connects afresh.
 */
export class ConsumerLagProbe {
  private admin: Admin | null = null;

  constructor(private readonly options: ConsumerLagOptions) {}

  async lag(): Promise<number> {
    const { topic, groupId } = this.options;
    try {
      const admin = await this.connected();
      // Committed offsets first: the ends read after them can only be later (lag never negative).
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      let lag = 0n;
      for (const p of ends) {
        const low = BigInt(p.low);
        const high = BigInt(p.high);
        const done = at.get(p.partition) ?? -1n;
        const from = done < low ? low : done;
        if (high > from) lag += high - from;
      }
      return Number(lag);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }

  private async connected(): Promise<Admin> {
    if (this.admin) return this.admin;
    const timeoutMs = this.options.timeoutMs ?? 2_000;
    const admin = new Kafka({
      clientId: `${this.options.clientId}-metrics`,
      brokers: [...this.options.brokers],
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      // A few quick retries: finding the group coordinator can need them (a new group, the
      // offsets topic still being created); the sampler's timeout bounds the whole call anyway.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
      logLevel: logLevel.NOTHING,
    }).admin();
    this.admin = admin;
    await admin.connect();
    return admin;
  }
}

/** The lag once, with a client of its own (closed after). */
export async function consumerLag(options: ConsumerLagOptions): Promise<number> {
  const probe = new ConsumerLagProbe(options);
  try {
    return await probe.lag();
  } finally {
    await probe.close();
  }
}

/**
 * Registers a scrape-time sampler setting `lethe_consumer_lag_messages` for one group/topic.
 * Returns the probe, to `close()` at shutdown.
 */
export function sampleConsumerLag(
  metrics: LetheMetrics,
  options: ConsumerLagOptions,
): ConsumerLagProbe {
  const labels = options.labels ?? { group: options.groupId, topic: options.topic };
  const probe = new ConsumerLagProbe(options);
  metrics.onScrape(`lag:${labels.group}`, async () => {
    metrics.consumerLag.set(labels, await probe.lag());
  });
  return probe;
}
