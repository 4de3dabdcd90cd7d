/**
 * Event store benchmark on a real PostgreSQL server (and a real Kafka broker for the relay).
 *   npm run bench:event-store            (LETHE_BENCH_QUICK=1 for a smaller run,
 *                                          LETHE_BENCH_KAFKA=0 to skip the relay table,
 *                                          LETHE_BENCH_ONLY=read for the read rows alone)
 * 1. The workloads of the Emmett comparison, before (the statements of the previous append
 *    path, kept in ./baseline-append.ts), after (the library as it is) and Emmett itself, in one
 *    run, each on a fresh database (./compare.ts).
 * 2. The index review: the typed global read with and without `events_type_safe_order_idx`.
 * 3. How the cost grows with the work: events per transaction (1 = the naive append), and the
 *    relay's backlog (1 row per send = the naive relay).
 */
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import {
  appendToStream,
  enqueueOutbox,
  OutboxRelay,
  type Event,
  type NewEvent,
} from '@lethe/event-store';
import { randomUUID } from 'node:crypto';
import { createDatabase } from '@lethe/local-infra';
import { startBenchInfra, perSecond, printTable } from '../support/infra';
import {
  batchAppends,
  bulkNewStreams,
  commands,
  reads,
  singleAppends,
  STREAM_READS,
  typedReadWithAndWithoutTypeIndex,
  type Databases,
  type Figure,
} from './compare';

const quick = process.env.LETHE_BENCH_QUICK === '1';
/** LETHE_BENCH_ONLY=read: only the read rows of the Emmett comparison (10k and 50k events). */
const onlyReads = process.env.LETHE_BENCH_ONLY === 'read';

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

async function open(url: string, poolSize = 20): Promise<DataSource> {
  const ds = new DataSource({ type: 'postgres', url, poolSize, logging: false });
  return ds.initialize();
}

const rate = (f: Figure): number => perSecond(f.n, f.ms);
const ratio = (a: number, b: number): string => (a / b).toFixed(2);
const p50 = (f: Figure): string => (f.p50 === undefined ? '' : `${f.p50.toFixed(2)} ms`);

/** Rounds per workload: implementations interleaved in each round, the median round reported. */
const rounds = Number(process.env.LETHE_BENCH_ROUNDS ?? (quick ? 1 : 3));

/** Runs every implementation once per round (interleaved, so load drifts hit all alike). */
async function interleaved<K extends string>(
  impls: readonly K[],
  run: (impl: K) => Promise<Figure>,
): Promise<Record<K, Figure>> {
  const all = new Map<K, Figure[]>(impls.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const k of impls) all.get(k)?.push(await run(k));
  const out = {} as Record<K, Figure>;
  for (const [k, figures] of all) {
    figures.sort((x, y) => rate(x) - rate(y));
    out[k] = figures[Math.floor(figures.length / 2)] as Figure;
  }
  return out;
}

async function compareWithEmmett(db: Databases): Promise<void> {
  const rows: (string | number)[][] = [];
  const cell = (f: Figure, unit: string) =>
    `${rate(f)} ${unit}${f.p50 === undefined ? '' : ` (p50 ${p50(f)})`}`;
  const row = (workload: string, unit: string, before: Figure, after: Figure, emmett: Figure) =>
    rows.push([
      workload,
      cell(before, unit),
      cell(after, unit),
      cell(emmett, unit),
      ratio(rate(after), rate(before)),
      ratio(rate(after), rate(emmett)),
    ]);

  for (const writers of onlyReads ? [] : [1, 4, 16]) {
    const calls = (quick ? 200 : 500) * Math.min(writers, 4);
    const f = await interleaved(['before', 'after', 'after, own statement', 'Emmett'], (impl) =>
      singleAppends(db, impl, writers, calls),
    );
    row(
      `1 event per append, new stream, ${writers} writer(s): appendToStream in a transaction`,
      'ev/s',
      f.before,
      f.after,
      f.Emmett,
    );
    row(
      `same, ${writers} writer(s): appendToStream(dataSource), one statement, its own transaction`,
      'ev/s',
      f.before,
      f['after, own statement'],
      f.Emmett,
    );
  }
  for (const shared of onlyReads ? [] : [false, true]) {
    const calls = quick ? 160 : 320;
    const f = await interleaved(['before', 'after', 'Emmett'] as const, (impl) =>
      commands(db, impl, 16, shared, calls),
    );
    row(
      shared
        ? '16 writers on one stream, with conflicts (handleCommand)'
        : 'handleCommand, 16 writers, each on its own stream',
      'cmd/s',
      f.before,
      f.after,
      f.Emmett,
    );
  }
  if (!onlyReads) {
    const streams = quick ? 4_000 : 20_000;
    const f = await interleaved(['before', 'after', 'Emmett'] as const, (impl) =>
      bulkNewStreams(db, impl, impl === 'Emmett' ? streams / 4 : streams, 500),
    );
    row(
      `bulk: ${streams} new streams, 500 per call (Emmett: its API, 16 writers, ${streams / 4} streams)`,
      'ev/s',
      f.before,
      f.after,
      f.Emmett,
    );
  }
  if (!onlyReads) {
    const calls = quick ? 8 : 40;
    const f = await interleaved(['before', 'after', 'Emmett'] as const, (impl) =>
      batchAppends(db, impl, calls, 500),
    );
    row('500 events into one stream per call', 'ev/s', f.before, f.after, f.Emmett);
  }
  // readAll did not change: before = after for the log. One round (each round writes the log);
  // the stream is read STREAM_READS times per implementation (before, after, Emmett interleaved
  // in each round), the median read reported.
  for (const size of onlyReads
    ? quick
      ? [10_000]
      : [10_000, 50_000]
    : [quick ? 10_000 : 50_000]) {
    const read = await reads(db, size);
    row(
      `read a ${size}-event global log (pages of 1000)`,
      'ev/s',
      read.log,
      read.log,
      read.emmettLog,
    );
    row(
      `read one ${size}-event stream (median of ${STREAM_READS} interleaved reads)`,
      'ev/s',
      read.before,
      read.after,
      read.emmett,
    );
  }
  printTable(
    `Workloads of the Emmett comparison: before, after, Emmett (fresh database each, median of ${rounds} interleaved round(s))`,
    ['workload', 'before', 'after', 'Emmett 0.42', 'after ÷ before', 'after ÷ Emmett'],
    rows,
  );
  if (onlyReads) return;

  const review = await typedReadWithAndWithoutTypeIndex(db, quick ? 20_000 : 100_000);
  printTable(
    'Index review: the typed global read (DeletionRequested, a quarter of the log, pages of 2000)',
    ['events', 'plan (index used)', 'matching events', 'ms', 'events/s'],
    review.map((r) => [r.index, r.plan, r.n, r.ms.toFixed(0), perSecond(r.n, r.ms)]),
  );
}

async function main(): Promise<void> {
  const withKafka = process.env.LETHE_BENCH_KAFKA !== '0' && !onlyReads;
  const infra = await startBenchInfra({ kafka: withKafka });
  console.log(
    `PostgreSQL ${infra.postgres.serverVersion}, Kafka ${infra.kafka?.version ?? '(skipped)'}, node ${process.version}`,
  );
  const db: Databases = {
    lethe: (label) => infra.freshDatabase(label),
    empty: (label) =>
      createDatabase(infra.postgres.url, `bench_${label}_${randomUUID().slice(0, 6)}`),
  };
  try {
    await compareWithEmmett(db);
    if (onlyReads) return;

    // Appends: events per transaction (1 = naive baseline), with one outbox row each.
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

    if (!infra.kafka) return;
    // Outbox relay to the real broker: backlog size × batch size (1 = one message per send).
    const kafka = new Kafka({
      clientId: 'bench',
      brokers: infra.kafka.brokers,
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
