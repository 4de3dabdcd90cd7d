import type { DataSource, EntityManager } from 'typeorm';
import type { Event, NewEvent } from '../domain/event';
import { EventStoreConcurrencyError, EventStoreDuplicateEventError } from '../domain/errors';
import {
  assertValidExpectedVersion,
  matchesExpectedVersion as matches,
  type ExpectedVersion,
} from '../domain/expected-version';
import { outboxJson } from '../outbox/enqueue-outbox';
import type { OutboxMessage } from '../outbox/outbox-message';
import { eventJson } from './event-rows';
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
 * Appends `events` to `streamId` (and `outbox` rows) in ONE round trip: a call of the SQL
 * function `lethe_append_to_stream` (migration EventStoreAppendFunction).
 *
 * `db` is either a transactional EntityManager (the append joins the caller's transaction) or a
 * DataSource (the call is a statement of its own, hence its own transaction: events, stream row
 * and outbox rows commit together or not at all, with no BEGIN/COMMIT round trips).
 *
 * Writers of one stream are serialized by a transaction-scoped advisory lock (held to commit),
 * taken first, so a concurrent writer waits for the first to end, then the conditional write of
 * the `streams` row re-checks the version and the append fails with EventStoreConcurrencyError.
 * The same write refuses an append from a transaction whose xid is older than the stream's last
 * writer's (possible only if the caller wrote something earlier in its transaction), so that the
 * (transaction_id, global_position) order never reorders one stream. The `streams` row lock and
 * `unique(stream_id, stream_version)` are the backstops.
 */
export async function appendToStream<E extends Event>(
  db: EntityManager | DataSource,
  streamId: string,
  expected: ExpectedVersion,
  events: readonly NewEvent<E>[],
  outbox: readonly OutboxMessage[] = [],
): Promise<AppendResult> {
  if (!('createQueryRunner' in db)) assertInTransaction(db, 'appendToStream');
  assertValidExpectedVersion(expected);
  let row: AppendRow | undefined;
  try {
    [row] = await sql<AppendRow>(db, APPEND_SQL, [
      streamId,
      expected === 'any' ? null : expected === 'no-stream' ? 0 : expected,
      eventsJson(events),
      outbox.length > 0 ? outboxJson(outbox) : null,
    ]);
  } catch (e) {
    throw asAppendError(e, streamId, expected);
  }
  if (!row) throw new Error('lethe_append_to_stream returned no row');
  if (row.next_version === null) {
    const reason =
      matches(expected, row.actual_version) && !row.in_order ? 'transaction-order' : 'version';
    throw new EventStoreConcurrencyError(streamId, expected, row.actual_version, reason);
  }
  return {
    nextExpectedVersion: row.next_version,
    lastGlobalPosition: BigInt(row.last_position ?? 0),
    transactionId: BigInt(row.txid ?? 0),
  };
}

interface AppendRow {
  next_version: number | null;
  last_position: string | null;
  txid: string | null;
  actual_version: number;
  in_order: boolean;
}

const APPEND_SQL = 'SELECT * FROM lethe_append_to_stream($1, $2, $3, $4)';

/** The events parameter: one JSON text, each event serialized once. */
function eventsJson(events: readonly NewEvent[]): string {
  let text = '[';
  for (let i = 0; i < events.length; i++) {
    if (i > 0) text += ',';
    text += JSON.stringify(eventJson(events[i] as NewEvent));
  }
  return `${text}]`;
}

/** The coded error for a failed append statement (or the error itself). */
export function asAppendError(e: unknown, streamId: string, expected: ExpectedVersion): unknown {
  const pg = pgErrorOf(e);
  if (pg.code === PG_UNIQUE_VIOLATION && pg.constraint === 'events_event_id_uq') {
    return new EventStoreDuplicateEventError(streamId, pg.message ?? 'event_id');
  }
  if (pg.code === PG_UNIQUE_VIOLATION && pg.constraint === 'events_stream_version_uq') {
    // The transaction is aborted here, so the actual version cannot be read: -1 = unknown.
    return new EventStoreConcurrencyError(streamId, expected, -1);
  }
  return asConcurrencyError(e, streamId, expected) ?? e;
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
