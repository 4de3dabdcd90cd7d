/**
 * Event store benchmark on a real PostgreSQL server (and a real Kafka broker for the relay).
 *   npm run bench:event-store            (LETHE_BENCH_QUICK=1 for a smaller run)
 * Shows how the cost grows with the work: events per transaction, concurrent writers, log size,
 * outbox backlog. Baselines run side by side: one event per transaction (the naive append) and
 * the relay sending one message per request.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import {
  appendToStream,
  enqueueOutbox,
  handleCommand,
  OutboxRelay,
  readAll,
  START,
  type Decider,
  type Event,
  type NewEvent,
} from '@lethe/event-store';
import { startBenchInfra, perSecond, printTable } from '../support/infra';

const quick = process.env.LETHE_BENCH_QUICK === '1';

const ev = (n: number): NewEvent<Event<'Added', { n: number }>> => ({
  type: 'Added',
  data: { n },
  metadata: {
    messageId: randomUUID(),
    correlationId: 'bench',
    causationId: null,
    actor: 'system:bench',
    occurredAt: new Date().toISOString(),
    schemaVersion: 1,
  },
});

type Added = Event<'Added', { n: number }>;
const counter: Decider<number, { n: number }, Added> = {
  initialState: () => 0,
  evolve: (s, e) => s + e.data.n,
  decide: (c) => [{ type: 'Added', data: { n: c.n } }],
};

async function open(url: string, poolSize = 20): Promise<DataSource> {
  const ds = new DataSource({ type: 'postgres', url, poolSize, logging: false });
  return ds.initialize();
}

async function main(): Promise<void> {
  const infra = await startBenchInfra({ kafka: true });
  console.log(
    `PostgreSQL ${infra.postgres.serverVersion}, Kafka ${infra.kafka?.version}, node ${process.version}`,
  );
  try {
    // 1. Appends: events per transaction (1 = naive baseline).
    const total = quick ? 4_000 : 20_000;
    const appendRows: (string | number)[][] = [];
    for (const perTx of [1, 10, 100, 500, 2000]) {
      const ds = await open(await infra.freshDatabase(`append${perTx}`));
      const n = perTx === 1 ? Math.min(total, quick ? 1_000 : 4_000) : total;
      const t0 = performance.now();
      for (let t = 0; t < n / perTx; t++) {
        await ds.transaction((m) =>
          appendToStream(
            m,
            `s-${perTx}-${t}`,
            'no-stream',
            Array.from({ length: perTx }, (_, i) => ev(i)),
            [{ topic: 't', key: `s-${t}`, value: { t } }],
          ),
        );
      }
      const ms = performance.now() - t0;
      appendRows.push([perTx, n, ms.toFixed(0), perSecond(n, ms)]);
      await ds.destroy();
    }
    printTable(
      'Append (events + one outbox row per transaction)',
      ['events/tx', 'events', 'ms', 'events/s'],
      appendRows,
    );

    // 2. handleCommand (load → decide → append → commit) with W concurrent writers on W streams,
    //    and W writers contending for ONE stream (optimistic concurrency retries).
    const cmdRows: (string | number)[][] = [];
    for (const writers of [1, 4, 16]) {
      for (const shape of ['own stream', 'one shared stream'] as const) {
        const ds = await open(await infra.freshDatabase(`cmd${writers}`));
        const per = quick ? 20 : 60;
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let i = 0; i < per; i++) {
              await handleCommand(
                ds,
                shape === 'own stream' ? `c-${w}` : 'c-shared',
                counter,
                { n: 1 },
                {
                  metadata: { correlationId: 'bench', causationId: null, actor: 'system:bench' },
                  retry: { maxAttempts: 1000, baseDelayMs: 1, maxDelayMs: 20 },
                },
              );
            }
          }),
        );
        const ms = performance.now() - t0;
        cmdRows.push([writers, shape, writers * per, ms.toFixed(0), perSecond(writers * per, ms)]);
        await ds.destroy();
      }
    }
    printTable(
      'handleCommand, one event per transaction',
      ['writers', 'streams', 'commands', 'ms', 'commands/s'],
      cmdRows,
    );

    // 3. readAll over logs of growing size.
    const readRows: (string | number)[][] = [];
    for (const size of quick ? [4_000, 20_000] : [10_000, 50_000, 200_000]) {
      const ds = await open(await infra.freshDatabase(`read${size}`));
      for (let t = 0; t < size / 2000; t++) {
        await ds.transaction((m) =>
          appendToStream(
            m,
            `r-${t}`,
            'no-stream',
            Array.from({ length: 2000 }, (_, i) => ev(i)),
          ),
        );
      }
      let n = 0;
      let checkpoint = START;
      const t0 = performance.now();
      for (;;) {
        const batch = await readAll(ds, checkpoint, { limit: 1000 });
        n += batch.events.length;
        checkpoint = batch.checkpoint;
        if (batch.isCaughtUp) break;
      }
      const ms = performance.now() - t0;
      readRows.push([size, n, ms.toFixed(0), perSecond(n, ms)]);
      await ds.destroy();
    }
    printTable(
      'readAll (subscriber order), pages of 1000',
      ['log size', 'read', 'ms', 'events/s'],
      readRows,
    );

    // 4. Outbox relay to the real broker: backlog size × batch size (1 = one message per send).
    const kafka = new Kafka({
      clientId: 'bench',
      brokers: infra.kafka!.brokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const relayRows: (string | number)[][] = [];
    for (const [backlog, batchSize] of (quick
      ? [
          [500, 1],
          [5_000, 2000],
        ]
      : [
          [2_000, 1],
          [5_000, 2000],
          [20_000, 2000],
          [50_000, 2000],
        ]) as [number, number][]) {
      const topic = `bench-relay-${backlog}-${batchSize}-${Date.now()}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
      const ds = await open(await infra.freshDatabase(`relay${backlog}`));
      for (let i = 0; i < backlog; i += 5_000) {
        await ds.transaction((m) =>
          enqueueOutbox(
            m,
            Array.from({ length: Math.min(5_000, backlog - i) }, (_, j) => ({
              topic,
              key: `agg-${(i + j) % 500}`,
              value: { seq: i + j, pad: 'x'.repeat(300) },
            })),
          ),
        );
      }
      const relay = new OutboxRelay(ds, kafka, { batchSize });
      const t0 = performance.now();
      await relay.start();
      while (relay.stats.published < backlog) await new Promise((r) => setTimeout(r, 5));
      const ms = performance.now() - t0;
      await relay.stop();
      relayRows.push([backlog, batchSize, ms.toFixed(0), perSecond(backlog, ms)]);
      await ds.destroy();
    }
    await admin.disconnect();
    printTable(
      'Outbox relay → Kafka (~350-byte messages, 500 keys, 6 partitions)',
      ['backlog', 'rows/send', 'ms', 'messages/s'],
      relayRows,
    );
  } finally {
    await infra.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
