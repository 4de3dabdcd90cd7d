import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { Kafka, logLevel } from 'kafkajs';

export interface KafkaProbeOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** The whole probe (connect + metadata) must answer within this; default 2 s. */
  readonly timeoutMs?: number;
}

/**
 * Asks the cluster for its metadata with a fresh admin client (no retries, short timeouts), so
 * that a probe never hangs behind kafkajs' own reconnect backoff. Resolves with the broker count,
 * rejects if the cluster does not answer in time.
 */
export async function probeKafka(options: KafkaProbeOptions): Promise<{ brokers: number }> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const admin = new Kafka({
    clientId: `${options.clientId}-health`,
    brokers: [...options.brokers],
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const cluster = await Promise.race([
      admin.connect().then(() => admin.describeCluster()),
      timeout,
    ]);
    return { brokers: cluster.brokers.length };
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Terminus indicator: `up` when the Kafka cluster answers an admin metadata call in time. */
@Injectable()
export class KafkaHealthIndicator {
  constructor(private readonly indicators: HealthIndicatorService) {}

  async isReachable(key: string, options: KafkaProbeOptions): Promise<HealthIndicatorResult> {
    const check = this.indicators.check(key);
    const started = Date.now();
    try {
      const { brokers } = await probeKafka(options);
      return check.up({ brokers, latencyMs: Date.now() - started });
    } catch (e) {
      return check.down({ error: e instanceof Error ? e.message : String(e) });
    }
  }
}
