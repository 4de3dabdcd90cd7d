import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Kafka, logLevel, type Producer, type RecordMetadata } from 'kafkajs';
import { Client } from 'pg';
import { Topics } from '@lethe/shared';
import { createTopics, freePort, namespacedTopic } from '@lethe/local-infra';
import { type AppProcess, ROOT, startApp } from './app-process';

/**
 * Shared pieces of the failure tests (invariants 1 and 2 of docs/architecture.md: nothing
 * acknowledged is lost, one effect per request): the governance service as a real child process,
 * a publisher that keeps its stream going through failures, and the checks.
 */

export const PUBLISHER_KEY = 'crm-key-0000000001';
const API_KEYS = `ops:ops-key-0000000001:ops,crm:${PUBLISHER_KEY}:publisher`;
export const EVENT_SOURCE = 'urn:lethe:failure-test';
export const PARTITIONS = 4;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An error `until` does not retry (the service process is gone). */
export class Fatal extends Error {}

/** Polls `probe` until `done` holds or the deadline passes (then throws with the last value). */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      lastError = e;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `${what}: not reached within ${timeoutMs} ms (last value ${JSON.stringify(last)}` +
      `${lastError ? `, last error ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}` : ''})`,
  );
}

/** mulberry32: a seeded PRNG, so a failing run can be replayed with its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function deletionEvent(id: string): Record<string, unknown> {
  const subjectId = `subject-${id}`;
  return {
    specversion: '1.0',
    id,
    source: EVENT_SOURCE,
    type: 'lethe.deletion.requested.v1',
    subject: subjectId,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { subjectId, legalBasis: 'gdpr-art-17' },
  };
}

export interface Stack {
  databaseUrl: string;
  brokers: string[];
  namespace: string;
  /**
   * The service's LETHE_INTAKE_CONCURRENCY (here 1 unless set; the service's default is 4). At 4
   * the group commit takes the four partitions together and writes its large rounds with
   * parallel transactions (ADR 0013), so a failure can hit a round while several of its
   * transactions are in flight.
   */
  intakeConcurrency?: number;
}

/** The deletion-request topic (4 partitions) and its DLQ; the service creates the others. */
export async function createIntakeTopics(stack: Stack): Promise<void> {
  await createTopics(stack.brokers, [
    {
      topic: namespacedTopic(stack.namespace, Topics.deletionRequests),
      numPartitions: PARTITIONS,
    },
    { topic: namespacedTopic(stack.namespace, Topics.deletionRequestsDlq), numPartitions: 1 },
  ]);
}

export interface PostgresProcess {
  url: string;
  /** Clean stop (fast shutdown); the data directory stays for the next start. */
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server of the test's own, on `port` with its data in `dataDir`, run by a helper
 * process (see postgres-server.process.ts). Starting it again on the same port and directory is
 * the restart.
 */
export async function startPostgresProcess(
  dataDir: string,
  port: number,
  timeoutMs = 300_000,
): Promise<PostgresProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      path.join(__dirname, 'postgres-server.process.ts'),
      dataDir,
      String(port),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`PostgreSQL helper did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL helper exited (${code}):\n${out}`));
    });
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface Service {
  proc: AppProcess;
  base: string;
}

/**
 * Starts apps/governance/src/main.ts as its own process on the given stack, every background part
 * on (intake, projections, scheduler, outbox relay), as deployed. DATABASE_URL and KAFKA_BROKERS
 * are always passed: the service never starts infrastructure of its own here.
 */
export async function startService(stack: Stack, port?: number): Promise<Service> {
  const p = port ?? (await freePort());
  const proc = startApp('governance', {
    PORT: String(p),
    DATABASE_URL: stack.databaseUrl,
    KAFKA_BROKERS: stack.brokers.join(','),
    LETHE_TOPIC_NAMESPACE: stack.namespace,
    LETHE_API_KEYS: API_KEYS,
    LETHE_SUBJECT_HMAC_KEY: 'failure-subject-hmac-key-0123456789abcdef',
    // The broker's minimum: a SIGKILLed member leaves the group after 6 s, not 30 s.
    LETHE_INTAKE_SESSION_TIMEOUT_MS: '6000',
    LETHE_INTAKE_CONCURRENCY: String(stack.intakeConcurrency ?? 1),
    // Rounds of 200 messages or more split into parallel writers (at concurrency > 1).
    LETHE_INTAKE_WRITER_MIN_MESSAGES: '100',
    LOG_LEVEL: 'warn',
  });
  return { proc, base: `http://127.0.0.1:${p}` };
}

export interface Health {
  status: number;
  body: { status?: string; checks?: Record<string, { status?: string }> };
}

export async function health(base: string): Promise<Health> {
  const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as Health['body'] };
}

/** GET /health of a service that must still be running: throws with its output if it exited. */
export async function healthOf(service: Service): Promise<Health> {
  const { child } = service.proc;
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Fatal(
      `the service exited (${child.exitCode ?? child.signalCode}):\n${service.proc.output().slice(-4000)}`,
    );
  }
  return health(service.base);
}

/** Up: 200, the database answers and the intake consumer is in its group. */
const isUp = (h: Health): boolean =>
  h.status === 200 &&
  h.body.status === 'ok' &&
  h.body.checks?.database?.status === 'up' &&
  h.body.checks?.intake?.status === 'up';

/** Polls GET /health until 200 with every check up; throws with the output if the process died. */
export async function waitHealthy(service: Service, timeoutMs: number): Promise<Health> {
  return until('GET /health up', () => healthOf(service), isUp, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message}\n--- service output ---\n${service.proc.output().slice(-4000)}`);
  });
}

/** Where each acknowledged message landed: partition → offset → event id. */
export type OffsetMap = Map<number, Map<string, string>>;

/**
 * Publishes events to the deletion-request topic, partition = index mod 4, acks = all. A send that
 * fails (broker down) is retried, the same batch again, until it is acknowledged: Kafka may then
 * hold a message twice, which the service must absorb (one effect per request).
 */
export class StreamPublisher {
  private readonly producer: Producer;
  private connected = false;
  readonly offsets: OffsetMap = new Map();
  acked = 0;
  failedSends = 0;

  constructor(private readonly stack: Stack) {
    this.producer = new Kafka({
      clientId: 'failure-test-publisher',
      brokers: stack.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
    }).producer({ idempotent: false, allowAutoTopicCreation: false });
  }

  /** Sends `ids` (their index decides the partition) in batches, pausing between batches. */
  async publish(
    items: readonly { id: string; index: number }[],
    opts: { batch: number; pauseMs: number; deadlineMs: number },
  ): Promise<void> {
    const deadline = Date.now() + opts.deadlineMs;
    for (let i = 0; i < items.length; i += opts.batch) {
      const slice = items.slice(i, i + opts.batch);
      for (;;) {
        try {
          if (!this.connected) {
            await this.producer.connect();
            this.connected = true;
          }
          const meta = await this.producer.send({
            topic: namespacedTopic(this.stack.namespace, Topics.deletionRequests),
            acks: -1,
            timeout: 10_000,
            messages: slice.map(({ id, index }) => ({
              key: `subject-${id}`,
              partition: index % PARTITIONS,
              value: JSON.stringify(deletionEvent(id)),
            })),
          });
          this.remember(slice, meta);
          this.acked += slice.length;
          break;
        } catch (e) {
          this.failedSends += 1;
          if (Date.now() > deadline) throw new Error(`publisher: still failing: ${String(e)}`);
          await sleep(500);
        }
      }
      if (opts.pauseMs > 0) await sleep(opts.pauseMs);
    }
  }

  private remember(slice: readonly { id: string; index: number }[], meta: RecordMetadata[]) {
    for (const m of meta) {
      const mine = slice.filter((s) => s.index % PARTITIONS === m.partition);
      const byOffset = this.offsets.get(m.partition) ?? new Map<string, string>();
      this.offsets.set(m.partition, byOffset);
      const base = BigInt(m.baseOffset ?? '-1');
      if (base < 0n) continue;
      mine.forEach((s, k) => byOffset.set((base + BigInt(k)).toString(), s.id));
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

/** One short-lived connection per call: the server may be restarting between calls. */
export async function withDb<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** How many DeletionRequested events each source event id produced. */
export async function requestsPerEvent(url: string): Promise<Map<string, number>> {
  const rows = await withDb(url, (c) =>
    c.query<{ id: string; n: number }>(
      `SELECT data->>'sourceEventId' AS id, count(*)::int AS n
         FROM events WHERE type = 'DeletionRequested' GROUP BY 1`,
    ),
  );
  return new Map(rows.rows.map((r) => [r.id, r.n]));
}

/** Stored count of the given ids (a cheap progress probe). */
export async function storedCount(url: string): Promise<number> {
  const r = await withDb(url, (c) =>
    c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events WHERE type = 'DeletionRequested'`,
    ),
  );
  return r.rows[0]?.n ?? 0;
}

export interface KafkaPosition {
  /** Per partition: log end offset and the intake group's committed offset. */
  partitions: { partition: number; end: bigint; committed: bigint }[];
  lag: bigint;
  dlqMessages: bigint;
}

export async function kafkaPosition(stack: Stack): Promise<KafkaPosition> {
  const admin = new Kafka({
    clientId: 'failure-test-admin',
    brokers: stack.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
  }).admin();
  await admin.connect();
  try {
    const topic = namespacedTopic(stack.namespace, Topics.deletionRequests);
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({
      groupId: namespacedTopic(stack.namespace, 'lethe-governance-intake'),
      topics: [topic],
    });
    const dlq = await admin.fetchTopicOffsets(
      namespacedTopic(stack.namespace, Topics.deletionRequestsDlq),
    );
    const partitions = ends.map((e) => {
      const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
      return {
        partition: e.partition,
        end: BigInt(e.offset),
        committed: BigInt(c) < 0n ? 0n : BigInt(c),
      };
    });
    return {
      partitions,
      lag: partitions.reduce((n, p) => n + (p.end - p.committed), 0n),
      dlqMessages: dlq.reduce((n, p) => n + BigInt(p.high) - BigInt(p.low), 0n),
    };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Invariant 1 at this instant: every message below a committed offset is in the event store.
 * Returns the ids that were committed but are not stored (must be empty).
 */
export async function committedButNotStored(
  stack: Stack,
  offsets: OffsetMap,
  position: KafkaPosition,
): Promise<string[]> {
  const stored = await requestsPerEvent(stack.databaseUrl);
  const missing: string[] = [];
  for (const p of position.partitions) {
    for (const [offset, id] of offsets.get(p.partition) ?? []) {
      if (BigInt(offset) < p.committed && !stored.has(id)) missing.push(id);
    }
  }
  return missing;
}

/** Every id exactly once: returns the ids missing and those with more than one request. */
export async function exactlyOnce(
  url: string,
  ids: readonly string[],
): Promise<{ missing: string[]; doubled: string[]; stored: number }> {
  const per = await requestsPerEvent(url);
  return {
    missing: ids.filter((id) => !per.has(id)),
    doubled: ids.filter((id) => (per.get(id) ?? 0) > 1),
    stored: per.size,
  };
}
