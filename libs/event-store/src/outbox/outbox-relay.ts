import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { DataSource, QueryRunner } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { backoffDelayMs } from '@lethe/shared';
import { silentLogger, WakeableLoop, type LoggerPort } from '@lethe/shared/application';
import { AdvisoryLockSpace, OUTBOX_NOTIFY_CHANNEL } from '../postgres/advisory-locks';
import { sql, type Queryable } from '../postgres/queryable';
import { OUTBOX_ID_HEADER } from './outbox-message';

export interface OutboxRelayOptions {
  /** Maps a contract topic to the Kafka topic; default identity (tests: t => `${ns}${t}`). */
  readonly topicName?: (topic: string) => string;
  /** Rows per batch read from the outbox; default 2000. */
  readonly batchSize?: number;
  /**
   * Most bytes (keys, values, headers) per Kafka send; a batch above it is sent in several sends,
   * in order. Default 900 000, under the broker's default `message.max.bytes` (1 MiB), which
   * bounds each partition's record batch: a count alone does not (messages grow with payloads).
   */
  readonly maxSendBytes?: number;
  /** Poll interval when idle; default 250 ms (a NOTIFY wakes the relay earlier). */
  readonly idleDelayMs?: number;
  /** LISTEN on `lethe_outbox` to wake up on new rows; default true. */
  readonly listen?: boolean;
  /** Backoff after a failed batch; default 100 → 10 000 ms, jittered. */
  readonly retry?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly logger?: LoggerPort;
  /** Runs each batch of the loop (and its log lines) under a correlation id `outbox-relay:<uuid>`. */
  readonly runInContext?: <T>(correlationId: string, work: () => Promise<T>) => Promise<T>;
  /**
   * By the row's (contract) topic, an SQL text expression: the value (its UTF-8 text) of a row
   * that names its event instead of holding a value (`event_position`, written by
   * `appendToNewStreams` with an `outbox` without `value`), over that event as `e` — the same
   * columns as `NewStreamsSql`'s `new_events AS e` (see OUTBOX_EVENT_RELATION). A row whose topic
   * has no expression, whose event is not found, or whose expression gives NULL is never published
   * (not as a tombstone either): the rows before it are, then the relay stops at it, logs an error
   * naming it and retries (docs/adr/0013-intake-throughput.md, "The outbox row names its event").
   */
  readonly eventValue?: Readonly<Record<string, string>>;
}

/**
 * The event an outbox row names, as `e` with the columns `NewStreamsSql` expressions read
 * (s, n, type, data and metadata as `json`, jdata and jmetadata as `jsonb`), joined on the row's
 * own transaction (the event was written by it) so that `events_safe_order_idx` finds it. `data`
 * and `metadata` here are the stored `jsonb`'s text (keys in jsonb's order, `": "` spacing), not
 * the text Node wrote: the same JSON values.
 */
export const OUTBOX_EVENT_RELATION = `LEFT JOIN LATERAL (
    SELECT ev.stream_id AS s, ev.stream_version AS n, ev.type, ev.data::json AS data,
           ev.metadata::json AS metadata, ev.data AS jdata, ev.metadata AS jmetadata
      FROM events ev
     WHERE ev.transaction_id = outbox.transaction_id AND ev.global_position = outbox.event_position
  ) AS e ON outbox.event_position IS NOT NULL`;

export interface OutboxRelayStats {
  readonly published: number;
  readonly batches: number;
  readonly failures: number;
}

interface OutboxRow {
  id: string;
  transaction_id: string;
  topic: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** A row naming its event whose value could not be built: why, or null when it could. */
  unbuilt: 'no-event' | 'no-value' | null;
}

/** The first unsent row's message could not be built: it is not sent, nor anything after it. */
export class OutboxUnbuiltRowError extends Error {
  constructor(
    readonly outboxId: string,
    readonly reason: 'no-event' | 'no-value',
  ) {
    super(
      `outbox row ${outboxId} names an event whose message could not be built (${
        reason === 'no-event'
          ? 'the event it names is not found in its transaction'
          : 'no OutboxRelayOptions.eventValue for its topic, or it gave NULL'
      }): not published; it holds back every row after it (runbook: docs/adr/0013-intake-throughput.md)`,
    );
  }
}

/** Bytes a row takes in a record batch, near enough (key, value, headers, record overhead). */
const rowBytes = (row: OutboxRow): number => {
  let n = 64 + (row.key?.length ?? 0) + (row.value?.length ?? 0);
  for (const [k, v] of Object.entries(row.headers)) n += k.length + v.length + 8;
  return n;
};

/**
 * Publishes outbox rows to Kafka: at least once, in `(transaction_id, id)` order, only rows of
 * ended transactions (same xmin rule as subscribers), never skipping one. A batch is sent with
 * idempotent `sendBatch`es (acks -1; one, or several in order when it is over `maxSendBytes`) and
 * marked published only once Kafka acknowledged all of it; a failed send marks nothing and the same rows are retried after a backoff. One relay publishes at a time
 * (advisory lock), so several instances keep the order; the others stand by.
 */
export class OutboxRelay {
  private readonly topicName: (topic: string) => string;
  private readonly batchSize: number;
  private readonly maxSendBytes: number;
  private readonly idleDelayMs: number;
  private readonly retry: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  private readonly logger: LoggerPort;
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private loop: WakeableLoop | undefined;
  private stopped = false;
  private state: LoopState | undefined;
  private notified = false;
  private listener: { client: ListenClient; release: (error?: Error) => void } | undefined;
  /** When to try LISTEN again after the connection holding it broke (server restart). */
  private relistenAt: number | undefined;
  private counters = { published: 0, batches: 0, failures: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly kafka: Kafka,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.topicName = options.topicName ?? ((t) => t);
    this.batchSize = options.batchSize ?? 2000;
    this.maxSendBytes = options.maxSendBytes ?? 900_000;
    this.idleDelayMs = options.idleDelayMs ?? 250;
    this.retry = options.retry ?? { baseDelayMs: 100, maxDelayMs: 10_000 };
    this.logger = options.logger ?? silentLogger;
    this.fetchSql = outboxFetchSql(options.eventValue);
  }

  private readonly fetchSql: string;

  get stats(): OutboxRelayStats {
    return { ...this.counters };
  }

  get running(): boolean {
    return this.loop !== undefined;
  }

  /** Connects the producer (and LISTEN) and starts the background loop. */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopped = false;
    await this.ensureProducer();
    if (this.options.listen ?? true) await this.startListening();
    const inContext =
      this.options.runInContext ?? (<T>(_id: string, work: () => Promise<T>): Promise<T> => work());
    const state: LoopState = {
      failures: 0,
      leader: undefined,
      next: undefined,
      cursor: START_CURSOR,
    };
    this.state = state;
    this.loop = new WakeableLoop(() =>
      inContext(`outbox-relay:${randomUUID()}`, () => this.step(state)),
    );
    this.loop.start();
  }

  /** Lets the in-flight batch finish (sent and marked, or rolled back), then disconnects. */
  async stop(): Promise<void> {
    const loop = this.loop;
    const state = this.state;
    this.stopped = true;
    this.loop = undefined;
    this.state = undefined;
    await loop?.stop();
    if (state?.next) await state.next.catch(() => undefined);
    await this.resign(state?.leader);
    await this.stopListening();
    const producer = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    await producer?.disconnect();
  }

  /**
   * Publishes one batch in one transaction (transaction-scoped lock, no pipelining); returns the
   * rows published, 0 when idle or while another relay (or this one's loop) holds the lock.
   */
  async relayOnce(): Promise<number> {
    const producer = await this.ensureProducer();
    return this.dataSource.transaction(async (manager) => {
      const [lock] = await sql<{ locked: boolean }>(
        manager,
        'SELECT pg_try_advisory_xact_lock($1, 0) AS locked',
        [AdvisoryLockSpace.outboxRelay],
      );
      if (!lock?.locked) return 0;
      const rows = await this.fetch(manager, START_CURSOR);
      const last = rows[rows.length - 1];
      if (!last) return 0;
      await this.send(producer, rows);
      await markPublished(manager, last);
      this.count(rows.length);
      return rows.length;
    });
  }

  /**
   * Unpublished rows after `after`, only of ended transactions, in (transaction_id, id) order.
   * Every row at or below the returned last one was visible to this read (its transaction id is
   * below xmin), so nothing can later appear behind a cursor taken from it.
   */
  private async fetch(db: Queryable, after: Cursor): Promise<OutboxRow[]> {
    const rows = await sql<OutboxRow>(db, this.fetchSql, [
      after.transaction_id,
      after.id,
      this.batchSize,
    ]);
    // The rows before an unbuilt one are published; the relay then stops at it (the backlog's
    // head is the culprit, named by the error).
    const at = rows.findIndex((r) => r.unbuilt !== null);
    if (at === 0) throw new OutboxUnbuiltRowError(rows[0]!.id, rows[0]!.unbuilt!);
    return at > 0 ? rows.slice(0, at) : rows;
  }

  private count(rows: number): void {
    this.counters.published += rows;
    this.counters.batches += 1;
  }

  private toTopicMessages(rows: readonly OutboxRow[]): { topic: string; messages: Message[] }[] {
    const byTopic = new Map<string, Message[]>();
    for (const row of rows) {
      const topic = this.topicName(row.topic);
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      messages.push({
        key: row.key,
        value: row.value,
        headers: { ...row.headers, [OUTBOX_ID_HEADER]: row.id },
      });
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }

  /** Sends `rows` in order, in as many sends as `maxSendBytes` needs (usually one). */
  private async send(producer: Producer, rows: readonly OutboxRow[]): Promise<void> {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as OutboxRow;
      const size = rowBytes(row);
      if (i > start && bytes + size > this.maxSendBytes) {
        await producer.sendBatch({
          acks: -1,
          topicMessages: this.toTopicMessages(rows.slice(start, i)),
        });
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    await producer.sendBatch({ acks: -1, topicMessages: this.toTopicMessages(rows.slice(start)) });
  }

  /**
   * The leader loop: holds a session-level advisory lock on its own connection, and reads batch
   * N+1 while batch N is being sent (pipelined). Batch N+1 is sent only after batch N was
   * acknowledged and marked; on any failure the prefetched rows are dropped, the lock is released
   * and, after a backoff, reading restarts from the first unpublished row.
   */
  /** One turn of the loop; returns how long to pause before the next (0: go on at once). */
  private async step(state: LoopState): Promise<number> {
    try {
      if (!state.leader) {
        state.leader = await this.tryLead();
        if (!state.leader) return this.idleDelayMs;
        state.cursor = START_CURSOR;
      }
      if (this.relistenAt !== undefined && Date.now() >= this.relistenAt) {
        this.relistenAt = undefined;
        await this.startListening();
      }
      this.notified = false;
      const rows = await (state.next ?? this.fetch(this.dataSource, state.cursor));
      state.next = undefined;
      const last = rows[rows.length - 1];
      if (!last) return this.notified ? 0 : this.idleDelayMs;
      const producer = await this.ensureProducer();
      const sending = this.send(producer, rows);
      const prefetch = this.fetch(this.dataSource, last);
      prefetch.catch(() => undefined); // awaited below, or dropped after a failed send
      try {
        await sending;
      } catch (error) {
        await prefetch.catch(() => undefined);
        throw error;
      }
      await markPublished(state.leader.manager, last);
      this.count(rows.length);
      state.cursor = last;
      state.next = prefetch;
      state.failures = 0;
      return 0;
    } catch (error) {
      if (state.next) await state.next.catch(() => undefined);
      state.next = undefined;
      await this.resign(state.leader);
      state.leader = undefined;
      state.failures += 1;
      this.counters.failures += 1;
      const delay = Math.max(this.retry.baseDelayMs, backoffDelayMs(state.failures, this.retry));
      const line = `outbox relay: batch failed (${state.failures} in a row), retrying in ${delay} ms: ${String(error)}`;
      // A row it cannot build holds every later one back until someone mends it: an error.
      if (error instanceof OutboxUnbuiltRowError) this.logger.error(line);
      else this.logger.warn(line);
      return delay;
    }
  }

  /** A connection holding the relay's session-level advisory lock, or undefined if another has it. */
  private async tryLead(): Promise<QueryRunner | undefined> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const [row] = (await runner.query('SELECT pg_try_advisory_lock($1, 0) AS locked', [
        AdvisoryLockSpace.outboxRelay,
      ])) as { locked: boolean }[];
      if (row?.locked) return runner;
    } catch (error) {
      await runner.release();
      throw error;
    }
    await runner.release();
    return undefined;
  }

  private async resign(leader: QueryRunner | undefined): Promise<void> {
    if (!leader) return;
    try {
      await leader.query('SELECT pg_advisory_unlock($1, 0)', [AdvisoryLockSpace.outboxRelay]);
    } catch {
      // a broken connection has lost its session lock anyway
    }
    await leader.release();
  }

  private ensureProducer(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Java-compatible murmur2 on the key: same key, same partition as any other Kafka client.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      try {
        await producer.connect();
      } catch (e) {
        this.connecting = undefined;
        throw e;
      }
      this.producer = producer;
      return producer;
    })();
    return this.connecting;
  }

  private async startListening(): Promise<void> {
    try {
      const driver = this.dataSource.driver as PostgresDriver;
      const [client, release] = (await driver.obtainMasterConnection()) as [
        ListenClient,
        (error?: Error) => void,
      ];
      // A checked-out pg client with no 'error' listener turns a dropped connection (server
      // restart, 57P01) into an uncaught exception that ends the process: handle it here.
      client.on('error', this.onListenError);
      client.on('notification', this.onNotification);
      this.listener = { client, release };
      await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
    } catch (error) {
      this.dropListener(error);
      this.logger.warn(`outbox relay: LISTEN failed, polling only: ${String(error)}`);
    }
  }

  /** The LISTEN connection broke: drop it (the pool discards it), poll, and LISTEN again later. */
  private readonly onListenError = (error: Error): void => {
    this.logger.warn(
      `outbox relay: LISTEN connection lost, polling until it is back: ${error.message}`,
    );
    this.dropListener(error);
  };

  private dropListener(error: unknown): void {
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      listener.client.removeListener('notification', this.onNotification);
      // keep an error listener: the broken client may still emit while the pool destroys it
      listener.release(error instanceof Error ? error : new Error(String(error)));
    }
    if (!this.stopped) this.relistenAt = Date.now() + 1_000;
  }

  private async stopListening(): Promise<void> {
    this.relistenAt = undefined;
    const listener = this.listener;
    this.listener = undefined;
    if (!listener) return;
    listener.client.removeListener('notification', this.onNotification);
    try {
      await listener.client.query(`UNLISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
    } catch {
      // the connection is going back to the pool anyway
    }
    listener.release();
    listener.client.removeListener('error', this.onListenError);
  }

  private readonly onNotification = (): void => {
    this.notified = true;
    this.loop?.wake();
  };
}

interface LoopState {
  failures: number;
  leader: QueryRunner | undefined;
  next: Promise<OutboxRow[]> | undefined;
  cursor: Cursor;
}

interface Cursor {
  readonly transaction_id: string;
  readonly id: string;
}

const START_CURSOR: Cursor = { transaction_id: '0', id: '0' };

/** A topic name as an SQL string literal. */
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * SQL bytea expression: the value the relay publishes for a row of `outbox` read with
 * OUTBOX_EVENT_RELATION (its own bytes, or the value built from the event it names by the
 * expression of the row's topic; NULL when its topic has none).
 */
export const outboxValueSql = (eventValue: Readonly<Record<string, string>>): string =>
  `CASE WHEN outbox.event_position IS NULL THEN outbox.value${Object.entries(eventValue)
    .map(
      ([topic, sql]) => `
        WHEN outbox.topic = ${literal(topic)} THEN convert_to(${sql}, 'UTF8')`,
    )
    .join('')}
        END`;

/**
 * The relay's read (see `fetch`; parameters: the cursor's transaction id and id, the batch size):
 * a row naming its event gets its value built from it by its topic's `eventValue`; `unbuilt`
 * flags one that could not be, and why. Exported for bench/intake/index-review.ts, which plans it.
 */
export function outboxFetchSql(eventValue: Readonly<Record<string, string>> | undefined): string {
  const withEvents = eventValue !== undefined && Object.keys(eventValue).length > 0;
  const value = withEvents ? outboxValueSql(eventValue) : 'outbox.value';
  const unbuilt = withEvents
    ? `CASE WHEN outbox.event_position IS NULL THEN NULL WHEN e.n IS NULL THEN 'no-event'
            WHEN v.value IS NULL THEN 'no-value' END`
    : `CASE WHEN outbox.event_position IS NOT NULL THEN 'no-value' END`;
  return `SELECT outbox.id::text AS id, outbox.transaction_id::text AS transaction_id,
                 outbox.topic, outbox.key, v.value, outbox.headers, ${unbuilt} AS unbuilt
            FROM outbox ${withEvents ? OUTBOX_EVENT_RELATION : ''}
           CROSS JOIN LATERAL (SELECT ${value} AS value) AS v
           WHERE outbox.published_at IS NULL
             AND (outbox.transaction_id, outbox.id) > ($1::text::xid8, $2::bigint)
             AND outbox.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
           ORDER BY outbox.transaction_id, outbox.id -- the table's columns, not the text output
           LIMIT $3`;
}

/**
 * Marks the batch ending at `last` published: exactly the unpublished rows up to its
 * (transaction_id, id), see `fetch`. A range update beats thousands of id probes.
 */
async function markPublished(db: Queryable, last: Cursor): Promise<void> {
  await db.query(
    `UPDATE outbox SET published_at = now()
      WHERE published_at IS NULL AND (transaction_id, id) <= ($1::text::xid8, $2::bigint)`,
    [last.transaction_id, last.id],
  );
}

interface ListenClient {
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'notification', listener: () => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** Deletes outbox rows published more than `olderThanMs` ago; returns how many. */
export async function pruneOutbox(db: Queryable, olderThanMs: number): Promise<number> {
  const rows = await sql<{ n: string }>(
    db,
    `WITH d AS (DELETE FROM outbox
                 WHERE published_at IS NOT NULL
                   AND published_at < now() - make_interval(secs => $1::double precision / 1000)
                RETURNING 1)
     SELECT count(*)::text AS n FROM d`,
    [olderThanMs],
  );
  return Number(rows[0]?.n ?? 0);
}
