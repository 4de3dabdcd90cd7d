import type { EntityManager } from 'typeorm';
import type { Event, NewEvent } from '../domain/event';
import { EventStoreConcurrencyError, EventStoreDuplicateEventError } from '../domain/errors';
import {
  assertValidExpectedVersion,
  matchesExpectedVersion as matches,
  type ExpectedVersion,
} from '../domain/expected-version';
import { enqueueOutbox } from '../outbox/enqueue-outbox';
import type { OutboxMessage } from '../outbox/outbox-message';
import { AdvisoryLockSpace } from './advisory-locks';
import { asConcurrencyError, conflict, type AppendResult } from './append-to-stream';
import {
  EVENT_ID_SQL,
  EVENT_DATA_SQL,
  EVENT_SCHEMA_VERSION_SQL,
  eventJson,
  eventsRecordset,
} from './event-rows';
import {
  assertInTransaction,
  pgErrorOf,
  PG_UNIQUE_VIOLATION,
  sql,
  type Queryable,
} from './queryable';

export interface StreamAppend<E extends Event = Event> {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  readonly events: readonly NewEvent<E>[];
  readonly outbox?: readonly OutboxMessage[];
}

/**
 * `appendToStream` for many streams at once, in the caller's transaction, all or nothing: each
 * entry has the semantics of `appendToStream(manager, streamId, expected, events, outbox)`, and
 * if any expected version fails the whole call throws EventStoreConcurrencyError (for the first
 * failing entry, in input order) and the transaction must be rolled back.
 *
 * Statements for the whole batch: one that takes the streams' advisory locks (sorted by stream
 * id, so two bulk writers cannot deadlock on each other), one conditional write of `streams` per
 * kind of expected version present (number / no-stream / any), one INSERT of all events, one of
 * all outbox rows (in input order). A stream id may appear only once.
 */
export async function appendToStreams<E extends Event>(
  manager: EntityManager,
  appends: readonly StreamAppend<E>[],
): Promise<ReadonlyMap<string, AppendResult>> {
  assertInTransaction(manager, 'appendToStreams');
  const seen = new Set<string>();
  for (const a of appends) {
    assertValidExpectedVersion(a.expected);
    if (seen.has(a.streamId)) {
      throw new RangeError(`appendToStreams: stream ${a.streamId} appears more than once`);
    }
    seen.add(a.streamId);
  }
  const results = new Map<string, AppendResult>();
  if (appends.length === 0) return results;
  const firstId = appends[0]?.streamId ?? '';
  try {
    await bulkAppend(manager, appends, results);
  } catch (e) {
    throw asConcurrencyError(e, firstId, appends[0]?.expected ?? 'any') ?? e;
  }
  return results;
}

async function bulkAppend<E extends Event>(
  manager: EntityManager,
  appends: readonly StreamAppend<E>[],
  results: Map<string, AppendResult>,
): Promise<void> {
  // Serialize with every other writer of these streams before this transaction takes an id.
  await manager.query(
    `SELECT count(pg_advisory_xact_lock($1, hashtext(t.id))) FROM unnest($2::text[]) AS t(id)`,
    [AdvisoryLockSpace.stream, appends.map((a) => a.streamId).sort()],
  );

  const writing = appends.filter((a) => a.events.length > 0);
  const checking = appends.filter((a) => a.events.length === 0);
  const versions = await advanceStreams(manager, writing);
  for (const a of writing) {
    if (!versions.has(a.streamId)) throw await conflict(manager, a.streamId, a.expected);
  }
  if (checking.length > 0) {
    const actual = await readStreamVersions(
      manager,
      checking.map((a) => a.streamId),
    );
    for (const a of checking) {
      const v = actual.get(a.streamId) ?? 0;
      if (!matches(a.expected, v)) throw new EventStoreConcurrencyError(a.streamId, a.expected, v);
      results.set(a.streamId, {
        nextExpectedVersion: v,
        lastGlobalPosition: 0n,
        transactionId: 0n,
      });
    }
  }

  if (writing.length > 0) {
    const rows: object[] = [];
    for (const a of writing) {
      const first = (versions.get(a.streamId) ?? 0) - a.events.length;
      a.events.forEach((e, i) => rows.push(eventJson(e, a.streamId, first + i + 1)));
    }
    let inserted: { stream_id: string; last: string; txid: string }[];
    try {
      inserted = await sql(
        manager,
        `WITH ins AS (
           INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
           SELECT t.s, t.n, ${EVENT_ID_SQL}, t.type, ${EVENT_SCHEMA_VERSION_SQL}, ${EVENT_DATA_SQL}, t.metadata
             FROM ${eventsRecordset('$1')}
            ORDER BY t.ord
           RETURNING stream_id, global_position)
         SELECT stream_id, max(global_position)::text AS last, pg_current_xact_id()::text AS txid
           FROM ins GROUP BY stream_id`,
        [JSON.stringify(rows)],
      );
    } catch (e) {
      const pg = pgErrorOf(e);
      const streamId = /\(stream_id, stream_version\)=\(([^,]+),/.exec(pg.message ?? '')?.[1];
      if (pg.code === PG_UNIQUE_VIOLATION && pg.constraint === 'events_event_id_uq') {
        throw new EventStoreDuplicateEventError(
          writing[0]?.streamId ?? '',
          pg.message ?? 'event_id',
        );
      }
      if (pg.code === PG_UNIQUE_VIOLATION && pg.constraint === 'events_stream_version_uq') {
        const a = writing.find((w) => w.streamId === streamId) ?? writing[0];
        throw new EventStoreConcurrencyError(a?.streamId ?? '', a?.expected ?? 'any', -1);
      }
      throw e;
    }
    const byStream = new Map(inserted.map((r) => [r.stream_id, r]));
    for (const a of writing) {
      const r = byStream.get(a.streamId);
      results.set(a.streamId, {
        nextExpectedVersion: versions.get(a.streamId) ?? 0,
        lastGlobalPosition: BigInt(r?.last ?? 0),
        transactionId: BigInt(r?.txid ?? 0),
      });
    }
  }
  await enqueueOutbox(
    manager,
    appends.flatMap((a) => a.outbox ?? []),
  );
}

/**
 * Bumps each stream's version by its event count where its expected version holds (and this
 * transaction is not older than the stream's last writer); returns the new versions of the
 * streams it advanced. One statement per kind of expected version.
 */
async function advanceStreams(
  manager: EntityManager,
  appends: readonly StreamAppend[],
): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  const existing = appends.filter((a) => typeof a.expected === 'number' && a.expected > 0);
  const fresh = appends.filter((a) => a.expected === 'no-stream' || a.expected === 0);
  const any = appends.filter((a) => a.expected === 'any');
  const collect = (rows: { stream_id: string; version: number }[]) => {
    for (const r of rows) versions.set(r.stream_id, r.version);
  };
  if (existing.length > 0) {
    collect(
      await sql(
        manager,
        `UPDATE streams s
            SET version = s.version + t.n, last_transaction_id = pg_current_xact_id(), updated_at = now()
           FROM unnest($1::text[], $2::int[], $3::int[]) AS t(id, expected, n)
          WHERE s.stream_id = t.id AND s.version = t.expected
            AND s.last_transaction_id <= pg_current_xact_id()
         RETURNING s.stream_id, s.version`,
        [
          existing.map((a) => a.streamId),
          existing.map((a) => a.expected),
          existing.map((a) => a.events.length),
        ],
      ),
    );
  }
  if (fresh.length > 0) {
    collect(
      await sql(
        manager,
        `INSERT INTO streams (stream_id, version, last_transaction_id)
         SELECT t.id, t.n, pg_current_xact_id() FROM unnest($1::text[], $2::int[]) AS t(id, n)
         ON CONFLICT (stream_id) DO NOTHING
         RETURNING stream_id, version`,
        [fresh.map((a) => a.streamId), fresh.map((a) => a.events.length)],
      ),
    );
  }
  if (any.length > 0) {
    collect(
      await sql(
        manager,
        `INSERT INTO streams AS s (stream_id, version, last_transaction_id)
         SELECT t.id, t.n, pg_current_xact_id() FROM unnest($1::text[], $2::int[]) AS t(id, n)
         ON CONFLICT (stream_id) DO UPDATE
            SET version = s.version + EXCLUDED.version,
                last_transaction_id = EXCLUDED.last_transaction_id,
                updated_at = now()
          WHERE s.last_transaction_id <= EXCLUDED.last_transaction_id
         RETURNING stream_id, version`,
        [any.map((a) => a.streamId), any.map((a) => a.events.length)],
      ),
    );
  }
  return versions;
}

/** Current versions of many streams in one query (0 for a stream that does not exist). */
export async function readStreamVersions(
  db: Queryable,
  streamIds: readonly string[],
): Promise<ReadonlyMap<string, number>> {
  const versions = new Map<string, number>();
  if (streamIds.length === 0) return versions;
  const rows = await sql<{ stream_id: string; version: number }>(
    db,
    'SELECT stream_id, version FROM streams WHERE stream_id = ANY($1::text[])',
    [[...new Set(streamIds)]],
  );
  for (const r of rows) versions.set(r.stream_id, r.version);
  for (const id of streamIds) if (!versions.has(id)) versions.set(id, 0);
  return versions;
}
