import type { EntityManager } from 'typeorm';
import type { Event, NewEvent } from '../domain/event';
import { EventStoreDuplicateEventError } from '../domain/errors';
import { enqueueOutbox } from '../outbox/enqueue-outbox';
import type { OutboxMessage } from '../outbox/outbox-message';
import { asConcurrencyError } from './append-to-stream';
import {
  EVENT_ID_SQL,
  EVENT_DATA_SQL,
  EVENT_SCHEMA_VERSION_SQL,
  eventJson,
  eventsRecordset,
} from './event-rows';
import { assertInTransaction, pgErrorOf, PG_UNIQUE_VIOLATION, sql, sqlPrepared } from './queryable';

export interface NewStream<E extends Event = Event> {
  readonly streamId: string;
  readonly events: readonly NewEvent<E>[];
  /** Outbox rows written only if this stream is created (not with `NewStreamsSql.outbox`). */
  readonly outbox?: readonly OutboxMessage[];
}

/**
 * What the caller builds in SQL from the events of the streams `appendToNewStreams` creates, in
 * the same statement, instead of serialising them again in Node (ADR 0013). The expressions and
 * statements read the relation `new_events AS e` with columns `s` (stream id, text), `n` (stream
 * version, int), `type` (text), `data` and `metadata` (both `json`: the exact text that
 * `JSON.stringify` gave for the event's `data` and `metadata`, so a slice such as
 * `e.metadata->'correlationId'` is byte for byte what JSON.stringify wrote), `jdata` and
 * `jmetadata` (the same as `jsonb`, parsed once: cheaper to read fields from), `ord` (input
 * order).
 */
export interface NewStreamsSql {
  /** One outbox row per created event, in event order (the relay publishes them as stored). */
  readonly outbox?: {
    /** Contract topic name (bound as a parameter). */
    readonly topic: string;
    /** SQL text expression: the Kafka key. */
    readonly key: string;
    /**
     * SQL text expression: the value's UTF-8 text (stored as its bytes). Omitted: the row stores
     * no value but the event's `global_position` (`event_position`), and the relay builds the
     * value when it publishes (`OutboxRelayOptions.eventValue`): the event's data is not written
     * a second time (ADR 0013, "The outbox row names its event").
     */
    readonly value?: string;
    /**
     * With no `value`: an SQL boolean expression over `e` that holds when the relay can build the
     * row's value from the event (e.g. the metadata members its `eventValue` reads are present).
     * A created event for which it does not hold fails the statement, so the caller's transaction
     * stores no row the relay would stop at. Required when `value` is omitted.
     */
    readonly buildable?: string;
    /** SQL jsonb expression: the headers. */
    readonly headers: string;
  };
  /**
   * Further data-modifying statements over `new_events` (a read model's first rows), each run as
   * one CTE of the statement. They must not read what the statement writes (one snapshot).
   */
  readonly also?: readonly string[];
}

/**
 * Creates, in the caller's transaction, every stream of `streams` that does not exist yet, with its
 * events (versions 1..n) and outbox rows; streams that already exist are skipped without error (so
 * is a repeated stream id in the input: the first entry wins). Three statements for the whole
 * batch: one INSERT … ON CONFLICT DO NOTHING into `streams`, one for events, one for the outbox;
 * with `inSql`, ONE statement that also builds the outbox rows and the caller's other rows in SQL
 * (see NewStreamsSql; intake's path, ADR 0013).
 * A concurrent creator of the same stream holds its row: this call waits, then skips it.
 * Bulk intake path: same invariants as `appendToStream(…, 'no-stream', …)` per stream.
 */
export async function appendToNewStreams<E extends Event>(
  manager: EntityManager,
  streams: readonly NewStream<E>[],
  inSql?: NewStreamsSql,
): Promise<{ created: ReadonlySet<string> }> {
  assertInTransaction(manager, 'appendToNewStreams');
  const unique = new Map<string, NewStream<E>>();
  for (const s of streams)
    if (s.events.length > 0 && !unique.has(s.streamId)) unique.set(s.streamId, s);
  if (unique.size === 0) return { created: new Set() };
  const candidates = [...unique.values()];
  const firstId = candidates[0]?.streamId ?? '';
  try {
    if (inSql) return await appendInOneStatement(manager, candidates, inSql);
    // Returns only the streams it did NOT create (usually none): no 5,000-row result to parse.
    const skippedRows = await sql<{ stream_id: string }>(
      manager,
      `WITH ins AS (
         INSERT INTO streams (stream_id, version, last_transaction_id)
         SELECT t.id, t.version, pg_current_xact_id()
           FROM unnest($1::text[], $2::int[]) AS t(id, version)
         ON CONFLICT (stream_id) DO NOTHING
         RETURNING stream_id)
       SELECT t.id AS stream_id FROM unnest($1::text[]) AS t(id)
        WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.stream_id = t.id)`,
      [candidates.map((s) => s.streamId), candidates.map((s) => s.events.length)],
    );
    const skipped = new Set(skippedRows.map((r) => r.stream_id));
    const created = new Set<string>();
    for (const s of candidates) if (!skipped.has(s.streamId)) created.add(s.streamId);
    if (created.size === 0) return { created };
    const fresh = candidates.filter((s) => created.has(s.streamId));
    const eventRows: object[] = [];
    for (const s of fresh) {
      s.events.forEach((e, i) => eventRows.push(eventJson(e, s.streamId, i + 1)));
    }
    await manager.query(
      `INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
       SELECT t.s, t.n, ${EVENT_ID_SQL}, t.type, ${EVENT_SCHEMA_VERSION_SQL}, ${EVENT_DATA_SQL}, t.metadata
         FROM ${eventsRecordset('$1')}
        ORDER BY t.ord`,
      [JSON.stringify(eventRows)],
    );
    await enqueueOutbox(
      manager,
      fresh.flatMap((s) => s.outbox ?? []),
    );
    return { created };
  } catch (e) {
    const pg = pgErrorOf(e);
    if (pg.code === PG_UNIQUE_VIOLATION && pg.constraint === 'events_event_id_uq') {
      throw new EventStoreDuplicateEventError(firstId, pg.message ?? 'event_id');
    }
    throw asConcurrencyError(e, firstId, 'no-stream') ?? e;
  }
}

/** The largest round (in events) whose one statement is sent as a named prepared statement. */
export const PREPARED_MAX_EVENTS = 128;

/**
 * The whole append as ONE statement over ONE JSON parameter (the events): data-modifying CTEs
 * insert the streams (ON CONFLICT DO NOTHING, in input order: callers that may run concurrently
 * on overlapping streams pass them sorted by stream id, as RequestDeletionHandler does, so two
 * batches lock the rows in the same order and cannot deadlock), then, for the streams inserted here only, the events, the outbox rows and the
 * caller's `also` statements, all from the same parsed events. Returns the skipped streams.
 */
async function appendInOneStatement<E extends Event>(
  manager: EntityManager,
  candidates: readonly NewStream<E>[],
  inSql: NewStreamsSql,
): Promise<{ created: ReadonlySet<string> }> {
  for (const s of candidates) {
    if (s.outbox !== undefined && s.outbox.length > 0) {
      throw new Error(
        `appendToNewStreams: stream ${s.streamId} has outbox messages and SQL-built outbox rows`,
      );
    }
  }
  const eventRows: object[] = [];
  for (const s of candidates) {
    s.events.forEach((e, i) => eventRows.push(eventJson(e, s.streamId, i + 1)));
  }
  const params: unknown[] = [JSON.stringify(eventRows)];
  const ctes: string[] = [
    `t AS MATERIALIZED (
       SELECT * FROM ROWS FROM (json_to_recordset($1::json)
         AS (s text, n int, type text, data json, metadata json))
       WITH ORDINALITY AS t(s, n, type, data, metadata, ord))`,
    `ins AS (
       INSERT INTO streams (stream_id, version, last_transaction_id)
       SELECT c.s, c.version, pg_current_xact_id()
         FROM (SELECT s, max(n) AS version, min(ord) AS first FROM t GROUP BY s) AS c
        ORDER BY c.first
       ON CONFLICT (stream_id) DO NOTHING
       RETURNING stream_id)`,
    `new_events AS MATERIALIZED (
       SELECT t.*, COALESCE(t.data::jsonb, 'null'::jsonb) AS jdata, t.metadata::jsonb AS jmetadata
         FROM t WHERE t.s IN (SELECT stream_id FROM ins))`,
    `ev AS (
       INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
       SELECT e.s, e.n, (e.jmetadata->>'messageId')::uuid, e.type,
              (e.jmetadata->>'schemaVersion')::int, e.jdata, e.jmetadata
         FROM new_events AS e
        ORDER BY e.ord${
          // An outbox row that names its event needs the position the insert gave it.
          inSql.outbox !== undefined && inSql.outbox.value === undefined
            ? '\n       RETURNING stream_id, stream_version, global_position'
            : ''
        })`,
  ];
  if (inSql.outbox) {
    if (inSql.outbox.value === undefined && inSql.outbox.buildable === undefined) {
      throw new Error('appendToNewStreams: an outbox without `value` needs `buildable`');
    }
    params.push(inSql.outbox.topic);
    ctes.push(
      inSql.outbox.value === undefined
        ? `ob AS (
       INSERT INTO outbox (topic, key, headers, event_position)
       SELECT $2, ${inSql.outbox.key}, ${inSql.outbox.headers}, ev.global_position
         FROM new_events AS e
         JOIN ev ON ev.stream_id = e.s AND ev.stream_version = e.n
        ORDER BY e.ord)`
        : `ob AS (
       INSERT INTO outbox (topic, key, value, headers)
       SELECT $2, ${inSql.outbox.key}, convert_to(${inSql.outbox.value}, 'UTF8'),
              ${inSql.outbox.headers}
         FROM new_events AS e
        ORDER BY e.ord
       RETURNING value IS NULL AS null_value)`,
    );
  }
  (inSql.also ?? []).forEach((statement, i) => ctes.push(`also${i} AS (${statement})`));
  // A NULL outbox value would be published as a Kafka tombstone: the SQL-built value is NULL if
  // any field it concatenates is missing from an event's metadata. For a row that names its event,
  // the relay builds the value later: `buildable` checks now that it will be able to. Counted
  // here, and the caller's transaction fails rather than store such a row.
  const nullValues = !inSql.outbox
    ? '0'
    : inSql.outbox.value !== undefined
      ? '(SELECT count(*) FROM ob WHERE null_value)::int'
      : `(SELECT count(*) FROM new_events AS e WHERE NOT COALESCE(${inSql.outbox.buildable ?? 'false'}, false))::int`;
  // Prepared only for small rounds (ADR 0013, "The intake statement, prepared"): for the few
  // events of a light load's round, parsing and planning this long statement was most of
  // PostgreSQL's work, but the prepared statement's generic plan runs a round of 256 events or more
  // 4–9 % slower than a plan made for its values (bench/intake/prepared-statement.bench.ts).
  const send = eventRows.length <= PREPARED_MAX_EVENTS ? sqlPrepared : sql;
  const skippedRows = await send<{ stream_id: string | null; null_values: number }>(
    manager,
    `WITH ${ctes.join(',\n')}
     SELECT DISTINCT t.s AS stream_id, 0 AS null_values FROM t
      WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.stream_id = t.s)
     UNION ALL SELECT NULL, ${nullValues}`,
    params,
  );
  const nulls = skippedRows.reduce((n, r) => n + r.null_values, 0);
  if (nulls > 0) {
    throw new Error(
      `appendToNewStreams: ${nulls} outbox row(s) would have no value (a metadata field the value names is missing)`,
    );
  }
  const skipped = new Set<string>();
  for (const r of skippedRows) if (r.stream_id !== null) skipped.add(r.stream_id);
  const created = new Set<string>();
  for (const s of candidates) if (!skipped.has(s.streamId)) created.add(s.streamId);
  return { created };
}
