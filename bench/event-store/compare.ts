/**
 * The event-store workloads of the Emmett comparison, each run three ways in one process on the
 * same PostgreSQL server, every (workload, implementation) pair on a fresh migrated database:
 * - before: the statements `appendToStream` / `handleCommand` sent before the one-round-trip
 *   function, on the schema as it was (with `events_type_safe_order_idx`);
 * - after: `@lethe/event-store` as it is now;
 * - Emmett: `@event-driven-io/emmett-postgresql` 0.42 through its public API, on a fresh database
 *   of its own (its schema, created by its migration).
 * Lethe's outbox is off here, as Emmett has none (the other tables of the bench cover it).
 */
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { Decider } from '@lethe/shared';
import {
  aggregateStream,
  appendToNewStreams,
  appendToStream,
  DEFAULT_RETRY_POLICY,
  handleCommand,
  isConcurrencyError,
  readAll,
  readStream,
  retryOnConflict,
  START,
  withMetadata,
  type Event,
  type NewEvent,
} from '@lethe/event-store';
import {
  DeciderCommandHandler,
  STREAM_DOES_NOT_EXIST,
  type Event as EmmettEvent,
} from '@event-driven-io/emmett';
import {
  getPostgreSQLEventStore,
  readMessagesBatch,
  type PostgresEventStore,
} from '@event-driven-io/emmett-postgresql';
import { dumbo } from '@event-driven-io/dumbo';
import { baselineAppendToStream } from './baseline-append';
import { baselineReadStream } from './baseline-read-stream';

export type Impl = 'before' | 'after' | 'Emmett';

type Added = Event<'Added', { n: number; pad: string }>;
type EAdded = EmmettEvent<'Added', { n: number; pad: string }>;

/** About 300 bytes stored per event (payload + metadata), as in the measurement. */
const PAD = 'x'.repeat(120);
export const payload = (n: number) => ({ n, pad: PAD });

const meta = { correlationId: 'bench', causationId: null, actor: 'system:bench' };
export const newEvents = (count: number): NewEvent<Added>[] =>
  withMetadata(
    Array.from({ length: count }, (_, i): Added => ({ type: 'Added', data: payload(i) })),
    meta,
  );
const emmettEvents = (count: number): EAdded[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'Added', data: payload(i) }));

/** Counter: `at` is the version the decision saw (as in the concurrency tests). */
type Add = { n: number };
const counter: Decider<Add, Added, number> = {
  initialState: () => 0,
  evolve: (s) => s + 1,
  decide: (c) => [{ type: 'Added', data: payload(c.n) }],
};

export interface Databases {
  /** A fresh database with every migration applied (Lethe's schema). */
  lethe(label: string): Promise<string>;
  /** A fresh empty database (Emmett creates its own schema). */
  empty(label: string): Promise<string>;
}

export interface Figure {
  readonly n: number;
  readonly ms: number;
  /** Latency of one call (append, command, page), median, when it makes sense. */
  readonly p50?: number;
}

const openLethe = async (url: string, poolSize = 20): Promise<DataSource> =>
  new DataSource({ type: 'postgres', url, poolSize, logging: false }).initialize();

/** The events indexes as they were before the index review (the baseline runs on them). */
async function restoreOldIndexes(ds: DataSource): Promise<void> {
  await ds.query(`
    ALTER TABLE events
      DROP CONSTRAINT events_stream_version_uq,
      ADD CONSTRAINT events_pkey PRIMARY KEY (global_position),
      ADD CONSTRAINT events_stream_version_uq UNIQUE (stream_id, stream_version)`);
  await ds.query(typeIndexSql);
}

const typeIndexSql =
  'CREATE INDEX IF NOT EXISTS events_type_safe_order_idx ON events (type, transaction_id, global_position)';

/** Emmett on its own pg pool of the same size as Lethe's; its schema migrated before timing. */
async function openEmmett(url: string, poolSize = 20): Promise<PostgresEventStore> {
  const pool = new Pool({ connectionString: url, max: poolSize });
  const store = getPostgreSQLEventStore(url, {
    schema: { autoMigration: 'None' },
    connectionOptions: { pooled: true, pool, connectionString: url },
  });
  await store.schema.migrate();
  const close = store.close.bind(store);
  return Object.assign(store, {
    close: async () => {
      await close();
      await pool.end().catch(() => undefined);
    },
  });
}

/** `writers` loops share `calls` calls of `one(i)`; returns the wall time and the median call. */
async function drive(
  calls: number,
  writers: number,
  one: (i: number) => Promise<unknown>,
): Promise<{ ms: number; p50: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < calls; i = next++) {
        const s = performance.now();
        await one(i);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const ms = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return { ms, p50: latencies[Math.floor(latencies.length / 2)] ?? NaN };
}

/** 1 event per append, each to a new stream, `writers` concurrent writers. */
export async function singleAppends(
  db: Databases,
  impl: Impl | 'after, own statement',
  writers: number,
  calls: number,
): Promise<Figure> {
  const tag = `w${writers}`;
  if (impl === 'Emmett') {
    const store = await openEmmett(await db.empty(`em_single_${tag}`));
    try {
      const r = await drive(calls, writers, (i) =>
        store.appendToStream(`s-${i}`, emmettEvents(1), {
          expectedStreamVersion: STREAM_DOES_NOT_EXIST,
        }),
      );
      return { n: calls, ...r };
    } finally {
      await store.close();
    }
  }
  const ds = await openLethe(await db.lethe(`single_${tag}`));
  try {
    if (impl === 'before') await restoreOldIndexes(ds);
    const r = await drive(calls, writers, (i) => {
      const events = newEvents(1);
      if (impl === 'before') {
        return ds.transaction((m) => baselineAppendToStream(m, `s-${i}`, 'no-stream', events));
      }
      if (impl === 'after') {
        return ds.transaction((m) => appendToStream(m, `s-${i}`, 'no-stream', events));
      }
      return appendToStream(ds, `s-${i}`, 'no-stream', events);
    });
    return { n: calls, ...r };
  } finally {
    await ds.destroy();
  }
}

/** The command path before: one transaction (read, decide, four append statements), retried. */
async function baselineHandleCommand(ds: DataSource, streamId: string, command: Add) {
  const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 1000, baseDelayMs: 1, maxDelayMs: 20 };
  return retryOnConflict(
    () =>
      ds.transaction(async (m) => {
        const { state, currentVersion } = await aggregateStream<number, Added>(
          m,
          streamId,
          counter.evolve,
          counter.initialState,
        );
        const events = withMetadata(counter.decide(command, state), meta);
        return baselineAppendToStream(m, streamId, currentVersion, events);
      }),
    { retry: policy, retriable: isConcurrencyError },
  );
}

/** Commands (read, decide, append one event) by `writers` writers on their own streams or on one. */
export async function commands(
  db: Databases,
  impl: Impl,
  writers: number,
  shared: boolean,
  calls: number,
): Promise<Figure & { attempts?: number }> {
  const streamOf = (i: number, w: number) => (shared ? 'c-shared' : `c-${w}-${i}`);
  const tag = `${writers}${shared ? 's' : 'o'}`;
  const retry = { maxAttempts: 1000, baseDelayMs: 1, maxDelayMs: 20 };
  // Own streams: each writer keeps appending to its own stream (a read of a growing stream).
  const per = Math.ceil(calls / writers);
  const run = async (one: (streamId: string, i: number) => Promise<unknown>) => {
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < per; i++) {
          const s = performance.now();
          await one(streamOf(0, w), i);
          latencies.push(performance.now() - s);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return {
      n: per * writers,
      ms: performance.now() - t0,
      p50: latencies[Math.floor(latencies.length / 2)] ?? NaN,
    };
  };
  if (impl === 'Emmett') {
    const store = await openEmmett(await db.empty(`em_cmd_${tag}`));
    const handle = DeciderCommandHandler<number, { type: 'Add'; data: Add }, EAdded>({
      initialState: () => 0,
      evolve: (s) => s + 1,
      decide: (c) => [{ type: 'Added', data: payload(c.data.n) }],
      retry: {
        onVersionConflict: { retries: 1000, minTimeout: 1, maxTimeout: 20, factor: 2 },
      },
    });
    try {
      return await run((streamId, i) => handle(store, streamId, { type: 'Add', data: { n: i } }));
    } finally {
      await store.close();
    }
  }
  const ds = await openLethe(await db.lethe(`cmd_${tag}`));
  try {
    if (impl === 'before') {
      await restoreOldIndexes(ds);
      return await run((streamId, i) => baselineHandleCommand(ds, streamId, { n: i }));
    }
    return await run((streamId, i) =>
      handleCommand(ds, streamId, counter, { n: i }, { metadata: meta, retry }),
    );
  } finally {
    await ds.destroy();
  }
}

/** `streams` new streams of one event, `perCall` streams per call (Lethe: appendToNewStreams). */
export async function bulkNewStreams(
  db: Databases,
  impl: Impl,
  streams: number,
  perCall: number,
): Promise<Figure> {
  if (impl === 'Emmett') {
    // No bulk call in Emmett's API: one appendToStream per stream, 16 concurrent writers.
    const store = await openEmmett(await db.empty('em_bulk'));
    try {
      const r = await drive(streams, 16, (i) =>
        store.appendToStream(`b-${i}`, emmettEvents(1), {
          expectedStreamVersion: STREAM_DOES_NOT_EXIST,
        }),
      );
      return { n: streams, ms: r.ms };
    } finally {
      await store.close();
    }
  }
  const ds = await openLethe(await db.lethe(`bulk_${impl}`));
  try {
    if (impl === 'before') await restoreOldIndexes(ds);
    const t0 = performance.now();
    for (let c = 0; c < streams / perCall; c++) {
      const batch = Array.from({ length: perCall }, (_, j) => ({
        streamId: `b-${c}-${j}`,
        events: newEvents(1),
      }));
      await ds.transaction((m) => appendToNewStreams(m, batch));
    }
    return { n: streams, ms: performance.now() - t0 };
  } finally {
    await ds.destroy();
  }
}

/** `calls` calls, each appending `perCall` events to a new stream. */
export async function batchAppends(
  db: Databases,
  impl: Impl,
  calls: number,
  perCall: number,
): Promise<Figure> {
  if (impl === 'Emmett') {
    const store = await openEmmett(await db.empty('em_batch'));
    try {
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) {
        await store.appendToStream(`p-${c}`, emmettEvents(perCall), {
          expectedStreamVersion: STREAM_DOES_NOT_EXIST,
        });
      }
      return { n: calls * perCall, ms: performance.now() - t0 };
    } finally {
      await store.close();
    }
  }
  const ds = await openLethe(await db.lethe(`batch_${impl}`));
  try {
    if (impl === 'before') await restoreOldIndexes(ds);
    const t0 = performance.now();
    for (let c = 0; c < calls; c++) {
      const events = newEvents(perCall);
      await ds.transaction((m) =>
        impl === 'before'
          ? baselineAppendToStream(m, `p-${c}`, 'no-stream', events)
          : appendToStream(m, `p-${c}`, 'no-stream', events),
      );
    }
    return { n: calls * perCall, ms: performance.now() - t0 };
  } finally {
    await ds.destroy();
  }
}

/** Reads of the one stream per implementation (LETHE_BENCH_STREAM_READS); the median is reported. */
export const STREAM_READS = Number(process.env.LETHE_BENCH_STREAM_READS ?? 5);

/** The median (by time) of `figures`. */
const median = (figures: Figure[]): Figure =>
  [...figures].sort((a, b) => a.ms - b.ms)[Math.floor(figures.length / 2)] as Figure;

/**
 * The read rows: a `size`-event global log (pages of 1000) and a `size`-event stream, written
 * to a fresh Lethe database and a fresh Emmett one. The log is read once per implementation;
 * the stream is read STREAM_READS times per implementation, **before, after and Emmett
 * interleaved in each round** (so a drift of the machine's load hits all three alike), and the
 * median read of each is reported.
 */
export async function reads(
  db: Databases,
  size: number,
): Promise<{ log: Figure; emmettLog: Figure; before: Figure; after: Figure; emmett: Figure }> {
  const chunk = 2000;
  const url = await db.empty('em_read');
  const store = await openEmmett(url);
  const pool = dumbo({ connectionString: url });
  const ds = await openLethe(await db.lethe('read'));
  try {
    for (let c = 0; c < size / chunk; c++) {
      await store.appendToStream(`r-${c}`, emmettEvents(chunk));
      await ds.transaction((m) => appendToStream(m, `r-${c}`, 'no-stream', newEvents(chunk)));
    }
    await store.appendToStream('one', emmettEvents(size));
    await ds.transaction((m) => appendToStream(m, 'one', 'no-stream', newEvents(size)));

    let n = 0;
    let checkpoint = START;
    const t0 = performance.now();
    for (;;) {
      const batch = await readAll(ds, checkpoint, { limit: 1000 });
      n += batch.events.length;
      checkpoint = batch.checkpoint;
      if (batch.isCaughtUp) break;
    }
    const log = { n, ms: performance.now() - t0 };
    let en = 0;
    let after = 0n;
    const t1 = performance.now();
    for (;;) {
      const batch = await readMessagesBatch(pool.execute, { after, batchSize: 1000 });
      en += batch.messages.length;
      after = batch.currentGlobalPosition;
      if (!batch.areMessagesLeft || batch.messages.length === 0) break;
    }
    const emmettLog = { n: en, ms: performance.now() - t1 };

    const timed = async (read: () => Promise<{ length: number }>): Promise<Figure> => {
      const t = performance.now();
      const events = await read();
      return { n: events.length, ms: performance.now() - t };
    };
    const before: Figure[] = [];
    const afterReads: Figure[] = [];
    const emmett: Figure[] = [];
    for (let r = 0; r < STREAM_READS; r++) {
      before.push(await timed(async () => (await baselineReadStream(ds, 'one')).events));
      afterReads.push(await timed(async () => (await readStream(ds, 'one')).events));
      emmett.push(await timed(async () => (await store.readStream('one')).events));
    }
    return {
      log,
      emmettLog,
      before: median(before),
      after: median(afterReads),
      emmett: median(emmett),
    };
  } finally {
    await ds.destroy();
    await pool.close();
    await store.close();
  }
}

/**
 * The index review: on a governance-like log (a quarter DeletionRequested, the rest other types),
 * the one typed read a real subscriber makes (the lineage process manager reads DeletionRequested
 * after its checkpoint, pages of 2000) with and without `events_type_safe_order_idx`: the plan
 * PostgreSQL picks and the time of a full pass. Same database, index created then dropped.
 */
export async function typedReadWithAndWithoutTypeIndex(
  db: Databases,
  size: number,
): Promise<{ index: string; plan: string; ms: number; n: number }[]> {
  const ds = await openLethe(await db.lethe('index_review'));
  const types = ['DeletionRequested', 'LineageResolved', 'UnlearningScheduled', 'Certified'];
  try {
    for (let c = 0; c < size / 2000; c++) {
      const events = newEvents(2000).map((e, i) => ({ ...e, type: types[i % 4] as string }));
      await ds.transaction((m) => appendToStream(m, `g-${c}`, 'no-stream', events as never));
    }
    const out: { index: string; plan: string; ms: number; n: number }[] = [];
    for (const withIndex of [true, false]) {
      if (withIndex) await ds.query(typeIndexSql);
      else await ds.query('DROP INDEX IF EXISTS events_type_safe_order_idx');
      await ds.query('ANALYZE events');
      const plan = await explainTypedRead(ds);
      let n = 0;
      let checkpoint = START;
      const t0 = performance.now();
      for (;;) {
        const batch = await readAll(ds, checkpoint, { limit: 2000, types: ['DeletionRequested'] });
        n += batch.events.length;
        checkpoint = batch.checkpoint;
        if (batch.isCaughtUp) break;
      }
      out.push({
        index: withIndex ? 'with the type index' : 'without it',
        plan,
        ms: performance.now() - t0,
        n,
      });
    }
    return out;
  } finally {
    await ds.destroy();
  }
}

/** The index the planner picks for the typed global read (readAll's statement, from START). */
async function explainTypedRead(ds: DataSource): Promise<string> {
  const rows = await ds.query<{ 'QUERY PLAN': string }[]>(
    `EXPLAIN SELECT * FROM events
      WHERE (transaction_id, global_position) > ('0'::xid8, 0::bigint)
        AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        AND ($1::text[] IS NULL OR type = ANY($1::text[]))
      ORDER BY transaction_id, global_position LIMIT 2000`,
    [['DeletionRequested']],
  );
  const plan = rows.map((r) => r['QUERY PLAN']).join(' ');
  return /using (\w+)/i.exec(plan)?.[1] ?? (/Seq Scan/.test(plan) ? 'seq scan' : plan);
}
