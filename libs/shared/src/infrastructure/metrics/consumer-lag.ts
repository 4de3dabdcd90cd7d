import { Kafka, logLevel } from 'kafkajs';
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
 * One short-lived admin client with no retries, so a scrape never waits on kafkajs' backoff.
 */
export async function consumerLag(options: ConsumerLagOptions): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const admin = new Kafka({
    clientId: `${options.clientId}-metrics`,
    brokers: [...options.brokers],
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(options.topic),
      admin.fetchOffsets({ groupId: options.groupId, topics: [options.topic] }),
    ]);
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
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Registers a scrape-time sampler setting `lethe_consumer_lag_messages` for one group/topic. */
export function sampleConsumerLag(metrics: LetheMetrics, options: ConsumerLagOptions): void {
  const labels = options.labels ?? { group: options.groupId, topic: options.topic };
  metrics.onScrape(`lag:${labels.group}`, async () => {
    metrics.consumerLag.set(labels, await consumerLag(options));
  });
}
