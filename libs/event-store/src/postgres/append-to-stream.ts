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
  PG_DEADLOCK_DETECTED,
  PG_SERIALIZATION_FAILURE,
  PG_UNIQUE_VIOLATION,
  sql,
} from './queryable';

export interface AppendResult {
  /** Version of the stream after the append (the number of events in it). */
  readonly nextExpectedVersion: number;
  /** Global position of the last appended event; 0n when nothing was appended. */
  readonly lastGlobalPosition: bigint;
  /** xid8 of the appending transaction; 0n when nothing was appended. */
  readonly transactionId: bigint;
}

/**
 * Appends `events` to `streamId` (and `outbox` rows) inside the caller's transaction.
 *
 * Writers of one stream are serialized by a transaction-scoped advisory lock (held to commit), so a
 * concurrent writer waits for the first to end, then the conditional INSERT/UPDATE of the
 * `streams` row re-checks the version and fails with EventStoreConcurrencyError. The same
 * statement refuses an append from a transaction whose xid is older than the stream's last
 * writer's (possible only if the caller wrote something earlier in its transaction), so that the
 * (transaction_id, global_position) order never reorders one stream. The `streams` row lock and
 * `unique(stream_id, stream_version)` are the backstops.
 */
export async function appendToStream<E extends Event>(
  manager: EntityManager,
  streamId: string,
  expected: ExpectedVersion,
  events: readonly NewEvent<E>[],
  outbox: readonly OutboxMessage[] = [],
): Promise<AppendResult> {
  assertInTransaction(manager, 'appendToStream');
  assertValidExpectedVersion(expected);
  try {
    return await append(manager, streamId, expected, events, outbox);
  } catch (e) {
    throw asConcurrencyError(e, streamId, expected) ?? e;
  }
}

/** Deadlocks and serialization failures are retriable conflicts too (the transaction is aborted). */
export function asConcurrencyError(
  e: unknown,
  streamId: string,
  expected: ExpectedVersion,
): EventStoreConcurrencyError | undefined {
  const code = pgErrorOf(e).code;
  if (code === PG_DEADLOCK_DETECTED)
    return new EventStoreConcurrencyError(streamId, expected, -1, 'deadlock');
  if (code === PG_SERIALIZATION_FAILURE) {
    return new EventStoreConcurrencyError(streamId, expected, -1, 'serialization');
  }
  return undefined;
}

async function append<E extends Event>(
  manager: EntityManager,
  streamId: string,
  expected: ExpectedVersion,
  events: readonly NewEvent<E>[],
  outbox: readonly OutboxMessage[],
): Promise<AppendResult> {
  // Serialize the stream's writers before this transaction takes an id (if it has none yet): the
  // next writer then gets a younger id than the last one, and the order check below holds.
  await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    AdvisoryLockSpace.stream,
    streamId,
  ]);

  if (events.length === 0) {
    const actual = await currentVersion(manager, streamId);
    if (!matches(expected, actual))
      throw new EventStoreConcurrencyError(streamId, expected, actual);
    await enqueueOutbox(manager, outbox);
    return { nextExpectedVersion: actual, lastGlobalPosition: 0n, transactionId: 0n };
  }

  const version = await advanceStream(manager, streamId, expected, events.length);
  const first = version - events.length;
  let inserted: { last: string; txid: string } | undefined;
  try {
    [inserted] = await sql<{ last: string; txid: string }>(
      manager,
      `WITH ins AS (
         INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
         SELECT $1, $2::int + t.ord::int, ${EVENT_ID_SQL}, t.type, ${EVENT_SCHEMA_VERSION_SQL},
                ${EVENT_DATA_SQL}, t.metadata
           FROM ${eventsRecordset('$3')}
          ORDER BY t.ord
         RETURNING global_position)
       SELECT max(global_position)::text AS last, pg_current_xact_id()::text AS txid FROM ins`,
      [streamId, first, JSON.stringify(events.map((e) => eventJson(e)))],
    );
  } catch (e) {
    const pg = pgErrorOf(e);
    if (pg.code === PG_UNIQUE_VIOLATION && pg.constraint === 'events_event_id_uq') {
      throw new EventStoreDuplicateEventError(streamId, pg.message ?? 'event_id');
    }
    if (pg.code === PG_UNIQUE_VIOLATION && pg.constraint === 'events_stream_version_uq') {
      // The transaction is aborted here, so the actual version cannot be read: -1 = unknown.
      throw new EventStoreConcurrencyError(streamId, expected, -1);
    }
    throw e;
  }
  await enqueueOutbox(manager, outbox);
  return {
    nextExpectedVersion: version,
    lastGlobalPosition: BigInt(inserted?.last ?? 0),
    transactionId: BigInt(inserted?.txid ?? 0),
  };
}

/** Bumps the stream version by `count` if `expected` holds; returns the new version. */
async function advanceStream(
  manager: EntityManager,
  streamId: string,
  expected: ExpectedVersion,
  count: number,
): Promise<number> {
  let rows: { version: number }[];
  if (expected === 'no-stream' || expected === 0) {
    rows = await sql(
      manager,
      `INSERT INTO streams (stream_id, version, last_transaction_id)
       VALUES ($1, $2, pg_current_xact_id())
       ON CONFLICT (stream_id) DO NOTHING
       RETURNING version`,
      [streamId, count],
    );
  } else if (expected === 'any') {
    rows = await sql(
      manager,
      `INSERT INTO streams AS s (stream_id, version, last_transaction_id)
       VALUES ($1, $2, pg_current_xact_id())
       ON CONFLICT (stream_id) DO UPDATE
          SET version = s.version + EXCLUDED.version,
              last_transaction_id = EXCLUDED.last_transaction_id,
              updated_at = now()
        WHERE s.last_transaction_id <= EXCLUDED.last_transaction_id
       RETURNING version`,
      [streamId, count],
    );
  } else {
    rows = await sql(
      manager,
      `UPDATE streams
          SET version = version + $3, last_transaction_id = pg_current_xact_id(), updated_at = now()
        WHERE stream_id = $1 AND version = $2 AND last_transaction_id <= pg_current_xact_id()
       RETURNING version`,
      [streamId, expected, count],
    );
  }
  const row = rows[0];
  if (row) return row.version;
  throw await conflict(manager, streamId, expected);
}

/** The conflict to report for `streamId` after its conditional write matched no row. */
export async function conflict(
  manager: EntityManager,
  streamId: string,
  expected: ExpectedVersion,
): Promise<EventStoreConcurrencyError> {
  const [row] = await sql<{ version: number; ordered: boolean }>(
    manager,
    `SELECT version, last_transaction_id <= pg_current_xact_id() AS ordered
       FROM streams WHERE stream_id = $1`,
    [streamId],
  );
  const actual = row?.version ?? 0;
  const reason = matches(expected, actual) && row && !row.ordered ? 'transaction-order' : 'version';
  return new EventStoreConcurrencyError(streamId, expected, actual, reason);
}

async function currentVersion(manager: EntityManager, streamId: string): Promise<number> {
  const [row] = await sql<{ version: number }>(
    manager,
    'SELECT version FROM streams WHERE stream_id = $1',
    [streamId],
  );
  return row?.version ?? 0;
}
