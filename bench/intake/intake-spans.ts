/**
 * Where an intake event's time goes (`--spans`): the bench reaches into the service's Kafka
 * consumer only to time it, never to change what it does.
 *
 * The deletion-requests topic is created with `message.timestamp.type=LogAppendTime`, so each
 * message's timestamp is when the broker appended it. Per event:
 *   publish   = scheduled publish → broker append (the publisher and the broker),
 *   fetch     = broker append → the intake round that holds it starts (fetch wait, queueing),
 *   round     = round start → its transaction committed and offsets committed (durable + acked),
 *   visible   = round done → first seen by the bench's poller (the 5 ms poll).
 * Per round (one transaction + one offset commit): its size in messages, the time in the
 * processor (validate, decide, one transaction) and in `commitOffsets`.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { DeletionRequestsKafkaConsumer } from '@lethe/governance';

interface Round {
  readonly messages: number;
  readonly processMs: number;
  readonly commitMs: number;
}

/** The private parts of the service's consumer that the bench wraps (names as in the source). */
interface ConsumerInternals {
  supervisor: { consumer: Consumer | null };
  runRound: (
    processor: unknown,
    consumer: Consumer,
    jobs: readonly { messages: readonly KafkaMessage[] }[],
  ) => Promise<unknown>;
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
};

export class IntakeSpans {
  /** Per event id: broker append time, round start, round done. */
  private readonly events = new Map<string, [number, number, number]>();
  private readonly rounds: Round[] = [];
  private fetches = 0;
  private fetchMs = 0;

  constructor(private readonly idOfKey: (key: string) => string) {}

  attach(app: INestApplicationContext): void {
    const found: unknown = app.get(DeletionRequestsKafkaConsumer);
    const service = found as ConsumerInternals;
    const consumer = service.supervisor.consumer;
    if (consumer) {
      consumer.on(consumer.events.FETCH, (e) => {
        this.fetches += 1;
        this.fetchMs += e.payload.duration;
      });
    }
    const runRound = service.runRound.bind(service);
    service.runRound = async (processor, kafkaConsumer, jobs) => {
      const start = Date.now();
      let commitStart = NaN;
      const commitOffsets = kafkaConsumer.commitOffsets.bind(kafkaConsumer);
      // Instance-level, for this round only: when the processor finished and the commit began.
      kafkaConsumer.commitOffsets = (offsets) => {
        commitStart = Date.now();
        return commitOffsets(offsets);
      };
      try {
        return await runRound(processor, kafkaConsumer, jobs);
      } finally {
        kafkaConsumer.commitOffsets = commitOffsets;
        const end = Date.now();
        let n = 0;
        for (const job of jobs) {
          for (const m of job.messages) {
            n += 1;
            const key = m.key?.toString();
            if (key) this.events.set(this.idOfKey(key), [Number(m.timestamp), start, end]);
          }
        }
        this.rounds.push({
          messages: n,
          processMs: (Number.isNaN(commitStart) ? end : commitStart) - start,
          commitMs: Number.isNaN(commitStart) ? 0 : end - commitStart,
        });
      }
    };
  }

  /** A few lines under the row: each latency component's p50 / p99, and the rounds. */
  report(sentAt: ReadonlyMap<string, number>, seenAt: ReadonlyMap<string, number>): string {
    const parts = { publish: [] as number[], fetch: [] as number[], round: [] as number[] };
    const visible: number[] = [];
    for (const [id, [appended, start, end]] of this.events) {
      const sent = sentAt.get(id);
      const seen = seenAt.get(id);
      if (sent === undefined || seen === undefined) continue;
      parts.publish.push(appended - sent);
      parts.fetch.push(start - appended);
      parts.round.push(end - start);
      visible.push(seen - end);
    }
    const ms = (v: number): string => String(Math.round(v));
    const pq = (v: number[]): string => `${ms(quantile(v, 0.5))} / ${ms(quantile(v, 0.99))}`;
    const sizes = this.rounds.map((r) => r.messages);
    const total = sizes.reduce((a, b) => a + b, 0);
    return (
      `  spans p50 / p99 ms: publish ${pq(parts.publish)}, fetch ${pq(parts.fetch)}, ` +
      `round ${pq(parts.round)}, visible ${pq(visible)}\n` +
      `  rounds: ${this.rounds.length} (${(total / Math.max(1, this.rounds.length)).toFixed(1)} msgs each, ` +
      `p50 ${ms(quantile(sizes, 0.5))}, max ${ms(Math.max(0, ...sizes))}); ` +
      `process p50 / p99 ${pq(this.rounds.map((r) => r.processMs))} ms, ` +
      `commitOffsets p50 / p99 ${pq(this.rounds.map((r) => r.commitMs))} ms; ` +
      `fetches ${this.fetches} (mean ${(this.fetchMs / Math.max(1, this.fetches)).toFixed(1)} ms)\n`
    );
  }
}
