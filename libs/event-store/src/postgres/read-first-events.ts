import type { Event, RecordedEvent } from '../domain/event';
import { NO_UPCASTERS, type UpcasterRegistry } from '../domain/upcasting';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './event-rows';
import { sql, type Queryable } from './queryable';

/**
 * The first event (version 1) of each of `streamIds` that exists, in one statement, by stream id.
 * For callers that only need how a stream began (the intake compares a repeat with the request's
 * first event) and would otherwise read many streams one by one.
 */
export async function readFirstEvents<E extends Event = Event>(
  db: Queryable,
  streamIds: readonly string[],
  upcasters: UpcasterRegistry = NO_UPCASTERS,
): Promise<ReadonlyMap<string, RecordedEvent<E>>> {
  if (streamIds.length === 0) return new Map();
  const rows = await sql<EventRow>(
    db,
    `SELECT ${EVENT_COLUMNS} FROM events
      WHERE stream_id = ANY($1::text[]) AND stream_version = 1`,
    [[...new Set(streamIds)]],
  );
  return new Map(rows.map((r) => [r.stream_id, upcasters.upcast(toRecordedEvent<E>(r))]));
}
