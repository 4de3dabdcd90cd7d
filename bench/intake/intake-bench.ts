/**
 * Governance intake benchmark: publishes N deletion events to the real broker and measures until
 * the last is visible in the read model (gov_deletion_requests_view).
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/intake/intake-bench.ts \
 *     [--n 1000,5000,20000] [--partitions 4] [--pipeline intake|full] [--fsync on|off] [--concurrency 1[,4]]
 *     [--rate 1000,2000,5000,8000 --duration-s 60 [--linger-ms 2]] [--spans]
 *     [--concurrency 1,4 | --variants 1/1/50,4/65536/50,4/-/-/10] [--timeout-s 600] [--stall-s 600]
 *     [--json rows.jsonl]
 *
 * Burst mode (default): all N published at once, as fast as the publisher goes (closed loop);
 *           reports the throughput reached, but its latencies are mostly queueing behind the burst.
 * Open loop (`--rate`): a fixed offered rate for `--duration-s` per rate, whatever the service
 *           does; latency is measured from each event's scheduled publish time to visible.
 * `--variants` = `intakeConcurrency/minBytes/maxWaitTimeInMs[/lingerMs]` (`-`: the default).
 * `--json FILE`: each row also appended to FILE as a JSON line (plot-open-loop.ts draws them).
 * `--spans`: under each row, where the time went (publish, fetch, round, visible; see
 *           intake-spans.ts) and the rounds (messages per transaction, offset-commit time).
 * A run fails after `--timeout-s`, or earlier when nothing new became visible for `--stall-s`; it
 * then prints what was stored and each partition's end / committed offsets.
 *
 * `intake`: the intake consumer alone (it writes a new request's read-model row inline, in the
 *           appending transaction, so that is all "visible" needs).
 * `full`:   also the lineage resolver, the other projections and the outbox relay, all competing
 *           for the same 2 cores (the realistic deployment). Also reports when every request was
 *           resolved (out of `received` in the read model) and when the outbox was fully relayed.
 * Each row also says where the CPU went during the run: the service's event-loop utilization,
 * CPU seconds of the whole Node process (with the publisher and poller threads), of PostgreSQL
 * (postmaster + backends) and of the Kafka broker, and the 1-minute load average.
 * Postgres and Kafka are started locally (or taken from DATABASE_URL / KAFKA_BROKERS); every run
 * gets a fresh database and fresh topics.
 */
import 'reflect-metadata';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import {
  createDatabase,
  createTopics,
  dropDatabase,
  runMigrations,
  silentLogger,
  startLocalKafka,
  startLocalPostgres,
} from '@lethe/local-infra';
import { Topics } from '@lethe/shared';
import { GovernanceModule } from '@lethe/governance';
import { IntakeSpans } from './intake-spans';

export interface Args {
  sizes: number[];
  partitions: number;
  pipeline: 'intake' | 'full';
  fsync: boolean;
  /** `intakeConcurrency` of this run (the first variant's until a loop sets it). */
  concurrency: number;
  /** The intake consumer's fetch of this run (defaults: the service's). */
  minBytes?: number;
  maxWaitMs?: number;
  /**
   * Each row runs once per variant, side by side in this process (interleaved): from
   * `--concurrency 1,4` (the service's fetch settings), or `--variants 1/1/50,4/65536/50`
   * (`intakeConcurrency/minBytes/maxWaitTimeInMs` each).
   */
  variants: Variant[];
  /** Open loop: how often the publisher sends what is due (a producer's linger). */
  lingerMs: number;
  timeoutS: number;
  /** Give up early when nothing new became visible for this long (a stall, not a slow run). */
  stallS: number;
  /** Open loop: offered rates (events/s), one run each of `durationS`; empty = burst mode. */
  rates: number[];
  durationS: number;
  /** `--spans`: print where each event's time went (see intake-spans.ts). */
  spans: boolean;
  /**
   * `--json FILE`: also append each row to FILE as one JSON line (`BenchRecord`), for plots
   * (plot-open-loop.ts) and for runs compared across trees (each record names its commit).
   */
  json?: string;
}

/** One configuration of the intake consumer, for side-by-side rows. */
export interface Variant {
  readonly concurrency: number;
  readonly minBytes?: number;
  readonly maxWaitMs?: number;
  /** Open loop: the publisher's linger of this variant (default `--linger-ms`). */
  readonly lingerMs?: number;
}

const variantLabel = (v: Variant): string =>
  v.minBytes === undefined && v.maxWaitMs === undefined && v.lingerMs === undefined
    ? String(v.concurrency)
    : `${v.concurrency}/${v.minBytes ?? '-'}/${v.maxWaitMs ?? '-'}` +
      (v.lingerMs === undefined ? '' : `/${v.lingerMs}`);

export const parseArgs = (argv: string[]): Args => {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    sizes: (get('n') ?? '1000,5000,20000').split(',').map(Number),
    partitions: Number(get('partitions') ?? 4),
    pipeline: get('pipeline') === 'full' ? 'full' : 'intake',
    fsync: get('fsync') !== 'off',
    concurrency: Number((get('concurrency') ?? '1').split(',')[0]),
    variants: get('variants')
      ? (get('variants') ?? '').split(',').map((v): Variant => {
          const [c, minBytes, maxWaitMs, lingerMs] = v
            .split('/')
            .map((x) => (x === '-' || x === '' ? undefined : Number(x)));
          return { concurrency: c ?? 1, minBytes, maxWaitMs, lingerMs };
        })
      : (get('concurrency') ?? '1').split(',').map((c) => ({ concurrency: Number(c) })),
    lingerMs: Number(get('linger-ms') ?? 2),
    timeoutS: Number(get('timeout-s') ?? 600),
    stallS: Number(get('stall-s') ?? 600),
    rates: (get('rate') ?? '').split(',').filter(Boolean).map(Number),
    durationS: Number(get('duration-s') ?? 60),
    spans: argv.includes('--spans'),
    json: get('json'),
  };
};

/** One row of a run, as `--json` writes it (a JSON line each). */
export interface BenchRecord {
  /** The tree that ran: `git rev-parse --short HEAD`, `+` if code outside bench/ and docs/ changed. */
  readonly tree: string;
  readonly mode: 'burst' | 'open-loop';
  readonly pipeline: Args['pipeline'];
  readonly partitions: number;
  readonly fsync: boolean;
  readonly variant: string;
  readonly concurrency: number;
  /** Open loop: the publisher's linger (ms); null in burst mode (it sends batches of 500). */
  readonly lingerMs: number | null;
  readonly offered: number | null;
  readonly n: number;
  /** Null when the row failed (`error` says why). */
  readonly result: Omit<RunResult, 'spans'> | null;
  readonly error?: string;
  readonly at: string;
}

let treeLabel: string | undefined;
const currentTree = (): string => {
  if (treeLabel !== undefined) return treeLabel;
  const git = (cmd: string): string =>
    execSync(`git ${cmd}`, { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  try {
    // bench/ and docs/ are left out (from the top, wherever the bench runs): vs-baseline.sh
    // copies this tree's bench files into the baseline's, and `--json` may append to docs/.
    const changed =
      git(
        "status --porcelain --untracked-files=no -- ':/' ':(top,exclude)bench' ':(top,exclude)docs'",
      ) !== '';
    treeLabel = git('rev-parse --short HEAD') + (changed ? '+' : '');
  } catch {
    treeLabel = 'unknown';
  }
  return treeLabel;
};

/** `--json`: appends the row (nothing without the option). */
function record(
  args: Args,
  variant: Variant,
  n: number,
  offered: number | null,
  outcome: { result: RunResult } | { error: string },
): void {
  if (args.json === undefined) return;
  const result =
    'result' in outcome ? (({ spans: _spans, ...rest }) => rest)(outcome.result) : null;
  const row: BenchRecord = {
    tree: currentTree(),
    mode: offered === null ? 'burst' : 'open-loop',
    pipeline: args.pipeline,
    partitions: args.partitions,
    fsync: args.fsync,
    variant: variantLabel(variant),
    concurrency: variant.concurrency,
    lingerMs: offered === null ? null : (variant.lingerMs ?? args.lingerMs),
    offered,
    n,
    result,
    ...('error' in outcome ? { error: outcome.error } : {}),
    at: new Date().toISOString(),
  };
  appendFileSync(args.json, `${JSON.stringify(row)}\n`);
}

/** A worker's own CPU seconds (user + system) so far, from /proc/thread-self/stat. */
const THREAD_CPU_SOURCE = `const threadCpuS = () => {
  try {
    const f = require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return NaN; }
};
`;

/** Publisher thread (plain JS: workers do not load ts-node). Batches of 500, acks = all. */
const PRODUCER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${THREAD_CPU_SOURCE}const { Kafka, logLevel, Partitioners } = require('kafkajs');
(async () => {
  const { brokers, topic, tag, n } = workerData;
  const kafka = new Kafka({ clientId: 'bench-producer-' + tag, brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  parentPort.postMessage({ ready: true });
  await new Promise((resolve) => parentPort.once('message', resolve));
  for (let i = 0; i < n; i += 500) {
    const to = Math.min(n, i + 500);
    const at = Date.now();
    const messages = [];
    for (let j = i; j < to; j++) {
      const subjectId = 'user-' + tag + '-' + j;
      messages.push({ key: subjectId, value: JSON.stringify({
        specversion: '1.0', id: tag + '-' + j, source: 'urn:lethe:bench',
        type: 'lethe.deletion.requested.v1', subject: subjectId, time: new Date(at).toISOString(),
        datacontenttype: 'application/json', data: { subjectId, legalBasis: 'gdpr-art-17' } }) });
    }
    parentPort.postMessage({ from: i, to, at });
    await producer.send({ topic, acks: -1, messages });
  }
  parentPort.postMessage({ cpuS: threadCpuS() });
  await producer.disconnect();
})().catch((e) => { console.error(e); process.exit(1); });
`;

/**
 * Open-loop publisher thread: a fixed offered rate whatever the service does. Every tick it sends
 * the events due by now (each stamped with its scheduled time, from which latency is measured, so
 * a late publisher or a slow service cannot hide queueing), without waiting for earlier sends.
 */
const OPEN_LOOP_PRODUCER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${THREAD_CPU_SOURCE}const { Kafka, logLevel, Partitioners } = require('kafkajs');
(async () => {
  const { brokers, topic, tag, n, rate, lingerMs } = workerData;
  const kafka = new Kafka({ clientId: 'bench-producer-' + tag, brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  // One event of its own before the clock starts (the poller ignores '-warmup' ids): this
  // producer's metadata and connection are ready, so the first row of a run does not count the
  // publisher's cold start (metadata retries after the topic was created) as latency.
  for (let p = 0; p < 4; p++) {
    const warm = tag + '-pub' + p + '-warmup';
    await producer.send({ topic, acks: -1, messages: [{ key: warm, partition: p % workerData.partitions,
      value: JSON.stringify({ specversion: '1.0', id: warm, source: 'urn:lethe:bench',
        type: 'lethe.deletion.requested.v1', data: { subjectId: warm, legalBasis: 'gdpr-art-17' } }) }] });
  }
  parentPort.postMessage({ ready: true });
  await new Promise((resolve) => parentPort.once('message', resolve));
  const t0 = Date.now();
  const step = 1000 / rate;
  const inflight = new Set();
  let sent = 0, maxLagMs = 0, maxInflight = 0, failure = null;
  while (sent < n && !failure) {
    const now = Date.now();
    // At most 500 per send (a late tick must not build a record batch over the broker's 1 MiB).
    const due = Math.min(n, Math.floor((now - t0) / step) + 1, sent + 500);
    if (due > sent) {
      maxLagMs = Math.max(maxLagMs, now - (t0 + sent * step));
      const messages = [];
      for (let j = sent; j < due; j++) {
        const subjectId = 'user-' + tag + '-' + j;
        messages.push({ key: subjectId, value: JSON.stringify({
          specversion: '1.0', id: tag + '-' + j, source: 'urn:lethe:bench',
          type: 'lethe.deletion.requested.v1', subject: subjectId,
          time: new Date(t0 + j * step).toISOString(), datacontenttype: 'application/json',
          data: { subjectId, legalBasis: 'gdpr-art-17' } }) });
      }
      parentPort.postMessage({ from: sent, to: due, at: t0 + sent * step, step });
      const p = producer.send({ topic, acks: -1, messages })
        .catch((e) => { failure = e; })
        .finally(() => inflight.delete(p));
      inflight.add(p);
      maxInflight = Math.max(maxInflight, inflight.size);
      sent = due;
    }
    if (due < Math.floor((Date.now() - t0) / step) + 1) continue; // still behind: send on
    await new Promise((r) => setTimeout(r, lingerMs));
  }
  await Promise.all(inflight);
  if (failure) throw failure;
  parentPort.postMessage({ maxLagMs, maxInflight, cpuS: threadCpuS() });
  await producer.disconnect();
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** One event through the whole path first, so the consumer group has joined before timing. */
async function warmUp(brokers: string[], topic: string, probe: Client, tag: string): Promise<void> {
  const kafka = new Kafka({ clientId: `bench-warmup-${tag}`, brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const id = `${tag}-warmup`;
  await producer.send({
    topic,
    acks: -1,
    messages: [
      {
        key: id,
        value: JSON.stringify({
          specversion: '1.0',
          id,
          source: 'urn:lethe:bench',
          type: 'lethe.deletion.requested.v1',
          data: { subjectId: id, legalBasis: 'gdpr-art-17' },
        }),
      },
    ],
  });
  await producer.disconnect();
  for (;;) {
    const r = await probe.query('SELECT 1 FROM bench_visible WHERE source_event_id = $1', [id]);
    if (r.rowCount) return;
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Visibility poller thread: reads the probe log incrementally, stamps first sight of each id. */
const POLLER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${THREAD_CPU_SOURCE}const { Client } = require('pg');
(async () => {
  const client = new Client({ connectionString: workerData.url });
  await client.connect();
  let stop = false;
  parentPort.on('message', () => { stop = true; });
  parentPort.unref();
  let lastId = 0;
  // Ids below lastId not seen yet: two intake transactions may run at once (intake at
  // concurrency > 1 with overlapping rounds, tried on 2026-11-30, or the HTTP door beside
  // Kafka), and the one that took the lower ids may commit second. Re-read until they appear (an id of
  // a rolled-back insert stays here; the bench has none to speak of).
  let gaps = [];
  let seen = 0;
  // Woken by the probe trigger's NOTIFY (sent at commit), so no tight poll loads PostgreSQL and
  // this thread; a 100 ms fallback read covers a missed notification.
  let wake = null;
  client.on('notification', () => { if (wake) wake(); });
  await client.query('LISTEN bench_visible');
  while (!stop && seen < workerData.n) {
    const res = await client.query(
      'SELECT id, source_event_id FROM bench_visible WHERE id > $1 OR id = ANY($2::bigint[]) ORDER BY id',
      [lastId, gaps],
    );
    const at = Date.now();
    const batch = [];
    const got = new Set();
    const before = lastId;
    for (const r of res.rows) {
      const id = Number(r.id);
      got.add(id);
      lastId = Math.max(lastId, id);
      if (r.source_event_id.endsWith('-warmup')) continue;
      batch.push([r.source_event_id, at]);
    }
    if (got.size > 0) gaps = gaps.filter((id) => !got.has(id));
    for (let id = before + 1; id < lastId; id++) if (!got.has(id)) gaps.push(id);
    seen += batch.length;
    if (batch.length > 0) parentPort.postMessage(batch);
    if (res.rows.length === 0) {
      await new Promise((r) => {
        const t = setTimeout(r, 100);
        wake = () => { clearTimeout(t); wake = null; r(); };
      });
    }
  }
  parentPort.postMessage({ cpuS: threadCpuS() });
  await client.end();
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** CPU seconds (user + system) used so far by `pid` and, with `children`, its direct children. */
function cpuSeconds(pid: number | undefined, children = false): number {
  if (!pid) return NaN;
  const ticks = (p: number): number => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    } catch {
      return 0;
    }
  };
  let total = ticks(pid);
  if (children) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const ppid = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1];
        if (Number(ppid) === pid) total += ticks(Number(entry));
      } catch {
        // gone
      }
    }
  }
  return total / 100; // USER_HZ
}

/** CPU seconds of this process's main thread (the service's; the publisher and poller have their own). */
function mainThreadCpuSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Where the CPU went during a run: the service's main thread, the whole Node process, PG, Kafka. */
interface CpuShare {
  mainThreadBusy: number; // event-loop utilization of the service's thread, 0..1
  mainThreadCpuS: number; // CPU seconds of the service's thread alone
  nodeCpuS: number; // whole Node process (service + publisher + poller threads)
  /** The bench's publisher and poller threads (each from its start: connect and warm-up included). */
  publisherCpuS: number;
  pollerCpuS: number;
  postgresCpuS: number;
  kafkaCpuS: number;
  loadAvg: number;
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

export interface RunResult {
  n: number;
  seconds: number;
  /** Open loop: the offered rate (events/s); null in burst mode. */
  offered: number | null;
  /** Open loop: the publisher's worst delay behind its schedule, and most sends in flight. */
  publisher: { maxLagMs: number; maxInflight: number } | null;
  /** Full pipeline: first publish → every request resolved (past `received` in the read model). */
  resolvedS: number | null;
  /** Full pipeline: first publish → resolved and the outbox fully relayed to Kafka. */
  relayedS: number | null;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  cpu: CpuShare;
  /** `--spans`: the latency components and the rounds, as lines to print under the row. */
  spans: string;
}

/** Optional observers (the soak uses them): see the service's app, add to a timeout's diagnosis. */
export interface RunHooks {
  /** Called once the service's application context is up (its consumer has started). */
  attach?(app: INestApplicationContext): void;
  /** Extra diagnosis appended to a timeout's error. */
  diagnose?(): string;
}

export async function runOnce(
  n: number,
  args: Args,
  pgAdminUrl: string,
  brokers: string[],
  pids: { postgres?: number; kafka?: number },
  hooks: RunHooks = {},
  rate?: number,
): Promise<RunResult> {
  const tag = randomBytes(3).toString('hex');
  const namespace = `bench-${tag}.`;
  const dbName = `lethe_bench_${tag}`;
  const url = await createDatabase(pgAdminUrl, dbName);
  await runMigrations(url);
  await createTopics(brokers, [
    {
      topic: `${namespace}${Topics.deletionRequests}`,
      numPartitions: args.partitions,
      // --spans: each message's timestamp is the broker's append time (the service reads none).
      ...(args.spans
        ? { configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }
        : {}),
    },
    { topic: `${namespace}${Topics.deletionRequestsDlq}`, numPartitions: 1 },
    { topic: `${namespace}${Topics.governanceEvents}`, numPartitions: args.partitions },
    { topic: `${namespace}${Topics.unlearningJobs}`, numPartitions: args.partitions },
    { topic: `${namespace}${Topics.unlearningResults}`, numPartitions: args.partitions },
  ]);

  // Visibility probe (bench only, not part of the schema): a statement trigger logs each row the
  // projection inserts; a poller reads the log incrementally and stamps when it first saw a row.
  const probe = new Client({ connectionString: url });
  await probe.connect();
  await probe.query(`
    CREATE TABLE bench_visible (id bigserial PRIMARY KEY, source_event_id text NOT NULL);
    CREATE FUNCTION bench_log_visible() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO bench_visible (source_event_id) SELECT source_event_id FROM new_rows;
      PERFORM pg_notify('bench_visible', '');
      RETURN NULL;
    END $$;
    CREATE TRIGGER bench_visible AFTER INSERT ON gov_deletion_requests_view
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_log_visible();
    -- Full pipeline: rows that leave 'received' (lineage resolved), counted per statement, so
    -- the waiting loop reads a tiny table instead of scanning the read model every 20 ms.
    CREATE TABLE bench_resolved (n int NOT NULL);
    CREATE FUNCTION bench_log_resolved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO bench_resolved (n)
      SELECT count(*) FROM new_rows n JOIN old_rows o ON o.request_id = n.request_id
       WHERE o.status = 'received' AND n.status <> 'received';
      RETURN NULL;
    END $$;
    CREATE TRIGGER bench_resolved AFTER UPDATE ON gov_deletion_requests_view
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION bench_log_resolved();`);

  const full = args.pipeline === 'full';
  @Module({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRoot({ type: 'postgres', url, synchronize: false, extra: { max: 10 } }),
      GovernanceModule.forRoot({
        kafka: {
          brokers,
          namespace,
          intakeConcurrency: args.concurrency,
          intakeFetch: { minBytes: args.minBytes, maxWaitTimeInMs: args.maxWaitMs },
        },
        subjectHmacKey: 'bench-hmac-key-0123456789abcdef0123456789',
        run: {
          intakeConsumer: true,
          projections: full ? true : [],
          scheduler: full,
          outboxRelay: full,
        },
      }),
    ],
  })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  // Whatever ends the run (a timeout, a publisher that fails), the service, the threads, the
  // probe and the database are closed here, before the caller stops the broker and PostgreSQL,
  // so an aborted row never leaves a consumer running against servers being stopped.
  const workers: Worker[] = [];
  try {
    hooks.attach?.(app);
    const spans = args.spans ? new IntakeSpans((key) => key.slice('user-'.length)) : null;
    spans?.attach(app);
    const sentAt = new Map<string, number>();
    const seenAt = new Map<string, number>();
    /** The bench's own threads' CPU seconds, as each reports it when done. */
    const threadCpu = { publisher: NaN, poller: NaN };
    // The visibility poller runs on its own thread too, off the service's event loop.
    const poller = new Worker(POLLER_SOURCE, { eval: true, workerData: { url, n } });
    workers.push(poller);
    const polled = new Promise<void>((resolve, reject) => {
      poller.on('message', (batch: [string, number][] | { cpuS: number }) => {
        if (!Array.isArray(batch)) {
          threadCpu.poller = batch.cpuS;
          return;
        }
        for (const [id, at] of batch) if (!seenAt.has(id)) seenAt.set(id, at);
      });
      poller.on('exit', () => resolve());
      poller.on('error', reject);
    });

    await warmUp(brokers, `${namespace}${Topics.deletionRequests}`, probe, tag);

    // The upstream publisher runs on its own thread (as another app would), so its CPU does not
    // count against the governance process's event loop.
    const producer = new Worker(rate ? OPEN_LOOP_PRODUCER_SOURCE : PRODUCER_SOURCE, {
      eval: true,
      workerData: {
        brokers,
        topic: `${namespace}${Topics.deletionRequests}`,
        tag,
        n,
        rate,
        lingerMs: args.lingerMs,
        partitions: args.partitions,
      },
    });
    workers.push(producer);
    let start = 0;
    let publisher: RunResult['publisher'] = null;
    const ready = new Promise<void>((resolve) => {
      producer.on(
        'message',
        (
          m:
            | { ready: true }
            | { cpuS: number; maxLagMs?: number; maxInflight?: number }
            | { from: number; to: number; at: number; step?: number },
        ) => {
          if ('ready' in m) return resolve();
          if ('cpuS' in m) {
            threadCpu.publisher = m.cpuS;
            if (m.maxLagMs !== undefined && m.maxInflight !== undefined)
              publisher = { maxLagMs: m.maxLagMs, maxInflight: m.maxInflight };
            return;
          }
          // Burst: the batch's publish time; open loop: each event's scheduled time.
          for (let j = m.from; j < m.to; j++)
            sentAt.set(`${tag}-${j}`, m.at + (j - m.from) * (m.step ?? 0));
        },
      );
    });
    let publishFailure: Error | null = null;
    const produced = new Promise<void>((resolve, reject) => {
      producer.on('exit', (code) => {
        if (code === 0) return resolve();
        publishFailure = new Error(`the publisher thread exited ${code} (see its error above)`);
        reject(publishFailure);
      });
      producer.on('error', (e) => {
        publishFailure = e;
        reject(e);
      });
    });
    // Awaited only after the wait below: a failing publisher must not be an unhandled rejection
    // (it would end the whole process with the servers still running).
    produced.catch(() => undefined);
    await ready;
    const elu0 = performance.eventLoopUtilization();
    const node0 = process.cpuUsage();
    const main0 = mainThreadCpuSeconds();
    const pg0 = cpuSeconds(pids.postgres, true);
    const kafka0 = cpuSeconds(pids.kafka);
    start = Date.now();
    producer.postMessage('go');
    const timeout = Date.now() + args.timeoutS * 1000;
    let progress = { seen: 0, at: Date.now() };
    let stalled = false;
    while (seenAt.size < n && Date.now() < timeout && publishFailure === null) {
      await new Promise((r) => setTimeout(r, 20));
      if (seenAt.size > progress.seen) progress = { seen: seenAt.size, at: Date.now() };
      else if (Date.now() - progress.at > args.stallS * 1000) {
        stalled = true;
        break;
      }
    }
    poller.postMessage('stop');
    await polled;
    // A loop, not Math.max(...values): spreading 160,000 arguments (8k/s for 20 s) overflows the
    // stack — the RangeError behind the 8,000/s row's abort of 2026-11-29 (it skipped
    // app.close(), so the broker and PostgreSQL were stopped under a running consumer).
    let end = 0;
    for (const t of seenAt.values()) if (t > end) end = t;
    // Full pipeline: also wait for the downstream stages (lineage resolution reaching the read
    // model, then the relay emptying the outbox), polled every 20 ms.
    let resolvedAt: number | null = null;
    let relayedAt: number | null = null;
    while (full && relayedAt === null && Date.now() < timeout) {
      if (resolvedAt === null) {
        const r = await probe.query<{ n: number }>(
          'SELECT coalesce(sum(n), 0)::int AS n FROM bench_resolved',
        );
        if ((r.rows[0]?.n ?? 0) >= n + 1) resolvedAt = Date.now();
      }
      if (resolvedAt !== null) {
        const o = await probe.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL',
        );
        if ((o.rows[0]?.n ?? 1) === 0) relayedAt = Date.now();
      }
      if (relayedAt === null) await new Promise((r) => setTimeout(r, 20));
    }
    const nodeUsage = process.cpuUsage(node0);
    const cpu: CpuShare = {
      mainThreadBusy: performance.eventLoopUtilization(elu0).utilization,
      mainThreadCpuS: mainThreadCpuSeconds() - main0,
      nodeCpuS: (nodeUsage.user + nodeUsage.system) / 1e6,
      publisherCpuS: NaN,
      pollerCpuS: threadCpu.poller,
      postgresCpuS: cpuSeconds(pids.postgres, true) - pg0,
      kafkaCpuS: cpuSeconds(pids.kafka) - kafka0,
      loadAvg: (await import('node:os')).loadavg()[0] ?? NaN,
    };

    const latencies = [...seenAt.entries()]
      .map(([id, t]) => t - (sentAt.get(id) ?? t))
      .sort((a, b) => a - b);
    await produced;
    cpu.publisherCpuS = threadCpu.publisher;
    let diagnosis = '';
    if (seenAt.size < n) {
      // Where did the missing ones stop: in Kafka (not consumed / not committed) or in the store?
      const stored = await probe.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM events WHERE type = 'DeletionRequested'`,
      );
      const admin = new Kafka({
        clientId: `bench-diag-${tag}`,
        brokers,
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      const topic = `${namespace}${Topics.deletionRequests}`;
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({
        groupId: `${namespace}lethe-governance-intake`,
        topics: [topic],
      });
      await admin.disconnect();
      diagnosis =
        ` (DeletionRequested stored: ${stored.rows[0]?.n}; per partition end/committed: ` +
        ends
          .map((e) => {
            const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset;
            return `${e.partition}:${e.offset}/${c}`;
          })
          .join(' ') +
        ')' +
        (hooks.diagnose ? ` ${hooks.diagnose()}` : '');
    }
    if (seenAt.size < n) {
      const why = stalled
        ? `nothing new visible for ${args.stallS} s (${((Date.now() - start) / 1000).toFixed(0)} s in)`
        : `timeout after ${args.timeoutS} s`;
      throw new Error(`only ${seenAt.size}/${n} visible: ${why}${diagnosis}`);
    }
    if (full && relayedAt === null)
      throw new Error(`the full pipeline did not finish in ${args.timeoutS} s`);
    const seconds = (end - start) / 1000;
    const since = (t: number | null): number | null => (t === null ? null : (t - start) / 1000);
    return {
      n,
      offered: rate ?? null,
      publisher,
      seconds,
      eventsPerSecond: n / seconds,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? NaN,
      resolvedS: since(resolvedAt),
      relayedS: since(relayedAt),
      cpu,
      spans: spans?.report(sentAt, seenAt) ?? '',
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
    await app.close().catch(() => undefined);
    await probe.end().catch(() => undefined);
    await dropDatabase(pgAdminUrl, dbName).catch(() => undefined);
  }
}

/** The postmaster's pid (first line of postmaster.pid in the data directory). */
export async function postmasterPid(url: string): Promise<number | undefined> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ data_directory: string }>('SHOW data_directory');
    const dir = r.rows[0]?.data_directory;
    if (!dir) return undefined;
    const first = readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0];
    return Number(first) || undefined;
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

const withVariant = (args: Args, v: Variant): Args => ({
  ...args,
  concurrency: v.concurrency,
  minBytes: v.minBytes,
  maxWaitMs: v.maxWaitMs,
  lingerMs: v.lingerMs ?? args.lingerMs,
});

/** Open loop: one run per offered rate, `durationS` long; latency from each event's schedule. */
async function openLoop(
  args: Args,
  pgAdminUrl: string,
  brokers: string[],
  pids: { postgres?: number; kafka?: number },
): Promise<void> {
  process.stdout.write(
    `open loop: ${args.durationS} s per offered rate; latency = scheduled publish → visible\n\n` +
      '| offered /s |    variant |       N | seconds | reached /s | p50 ms | p99 ms | max ms | publisher max lag ms | main thread busy | CPU s service / publisher / poller / node / PG / Kafka | load |\n' +
      '|-----------:|-----------:|--------:|--------:|-----------:|-------:|-------:|-------:|---------------------:|-----------------:|-------------------------------------------------------:|-----:|\n',
  );
  const ms = (v: number): string => String(Math.round(v));
  for (const rate of args.rates) {
    // Each concurrency in turn at the same rate: the variants side by side, in one process.
    for (const variant of args.variants) {
      const n = Math.round(rate * args.durationS);
      const concurrency = variantLabel(variant);
      let r: RunResult;
      try {
        r = await runOnce(n, withVariant(args, variant), pgAdminUrl, brokers, pids, {}, rate);
      } catch (e) {
        // A failed row is reported and the next one runs (fresh database and topics).
        const why = e instanceof Error ? e.message : String(e);
        record(args, variant, n, rate, { error: why });
        process.stdout.write(
          `| ${String(rate).padStart(10)} | ${concurrency.padStart(10)} | ${String(n).padStart(7)} | failed: ${why} |\n`,
        );
        continue;
      }
      record(args, variant, n, rate, { result: r });
      const c = r.cpu;
      process.stdout.write(
        `| ${String(rate).padStart(10)} | ${concurrency.padStart(10)} | ${String(n).padStart(7)} | ${r.seconds.toFixed(2).padStart(7)} ` +
          `| ${Math.round(r.eventsPerSecond).toString().padStart(10)} ` +
          `| ${ms(r.p50).padStart(6)} | ${ms(r.p99).padStart(6)} | ${ms(r.max).padStart(6)} ` +
          `| ${(r.publisher ? ms(r.publisher.maxLagMs) : '–').padStart(20)} ` +
          `| ${`${Math.round(c.mainThreadBusy * 100)} %`.padStart(16)} ` +
          `| ${`${c.mainThreadCpuS.toFixed(1)} / ${c.publisherCpuS.toFixed(1)} / ${c.pollerCpuS.toFixed(1)} / ${c.nodeCpuS.toFixed(1)} / ${c.postgresCpuS.toFixed(1)} / ${c.kafkaCpuS.toFixed(1)}`.padStart(54)} ` +
          `| ${c.loadAvg.toFixed(1).padStart(4)} |\n` +
          r.spans,
      );
    }
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const pg = await startLocalPostgres({ logger: silentLogger, fast: !args.fsync });
  const kafka = await startLocalKafka({ logger: silentLogger });
  try {
    process.stdout.write(
      `governance intake bench: pipeline=${args.pipeline} partitions=${args.partitions} fsync=${args.fsync ? 'on' : 'off'} variants=${args.variants.map(variantLabel).join(',')} linger=${args.lingerMs}ms ` +
        `(${pg.version.split(' on ')[0]}, Kafka ${kafka.version})\n\n`,
    );
    const pids = { postgres: await postmasterPid(pg.url), kafka: kafka.pid };
    if (args.rates.length > 0) {
      await openLoop(args, pg.url, kafka.brokers, pids);
      return;
    }
    process.stdout.write(
      '|    variant |      N | seconds | events/s | p50 ms | p99 ms | max ms | resolved s (/s) | relayed s (/s) | main thread busy | CPU s service / publisher / poller / node / PG / Kafka | load |\n',
    );
    process.stdout.write(
      '|-----------:|-------:|--------:|---------:|-------:|-------:|-------:|----------------:|---------------:|-----------------:|-------------------------------------------------------:|-----:|\n',
    );
    const stage = (s: number | null, n: number, width: number): string =>
      (s === null ? '–' : `${s.toFixed(2)} (${Math.round(n / s)})`).padStart(width);
    for (const n of args.sizes) {
      for (const variant of args.variants) {
        const concurrency = variantLabel(variant);
        const r = await runOnce(n, withVariant(args, variant), pg.url, kafka.brokers, pids);
        record(args, variant, n, null, { result: r });
        const c = r.cpu;
        process.stdout.write(
          `| ${concurrency.padStart(10)} | ${String(r.n).padStart(6)} | ${r.seconds.toFixed(2).padStart(7)} | ${Math.round(r.eventsPerSecond).toString().padStart(8)} ` +
            `| ${String(r.p50).padStart(6)} | ${String(r.p99).padStart(6)} | ${String(r.max).padStart(6)} ` +
            `| ${stage(r.resolvedS, r.n, 15)} | ${stage(r.relayedS, r.n, 14)} ` +
            `| ${`${Math.round(c.mainThreadBusy * 100)} %`.padStart(16)} ` +
            `| ${`${c.mainThreadCpuS.toFixed(1)} / ${c.publisherCpuS.toFixed(1)} / ${c.pollerCpuS.toFixed(1)} / ${c.nodeCpuS.toFixed(1)} / ${c.postgresCpuS.toFixed(1)} / ${c.kafkaCpuS.toFixed(1)}`.padStart(54)} ` +
            `| ${c.loadAvg.toFixed(1).padStart(4)} |\n` +
            r.spans,
        );
      }
    }
  } finally {
    await kafka.stop();
    await pg.stop();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
