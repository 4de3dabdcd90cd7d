import type { Event, RecordedEvent } from '../domain/event';
import { NO_UPCASTERS, type UpcasterRegistry } from '../domain/upcasting';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './event-rows';
import { sql, type Queryable } from './queryable';

export interface ReadStreamOptions {
  /** First stream version to return (1-based, inclusive); default 1. */
  readonly fromVersion?: number;
  /** Last stream version to return (inclusive); default: the end. */
  readonly toVersion?: number;
  readonly upcasters?: UpcasterRegistry;
}

export interface ReadStreamResult<E extends Event> {
  readonly streamExists: boolean;
  /** Version of the stream in the same snapshot as `events` (0 when absent). */
  readonly currentVersion: number;
  readonly events: RecordedEvent<E>[];
}

/** Reads one stream in version order, in a single statement (one consistent snapshot). */
export async function readStream<E extends Event = Event>(
  db: Queryable,
  streamId: string,
  options: ReadStreamOptions = {},
): Promise<ReadStreamResult<E>> {
  const rows = await sql<EventRow & { current_version: number | null }>(
    db,
    `WITH s AS (SELECT (SELECT version FROM streams WHERE stream_id = $1) AS current_version)
     SELECT s.current_version, e.*
       FROM s LEFT JOIN LATERAL (
         SELECT ${EVENT_COLUMNS}
           FROM events
          WHERE stream_id = $1 AND stream_version >= $2 AND stream_version <= $3
          ORDER BY stream_version) e ON true`,
    [streamId, options.fromVersion ?? 1, options.toVersion ?? 2_147_483_647],
  );
  const currentVersion = rows[0]?.current_version ?? null;
  const upcasters = options.upcasters ?? NO_UPCASTERS;
  const events = rows
    .filter((r) => r.global_position !== null)
    .map((r) => upcasters.upcast(toRecordedEvent<E>(r)));
  // The lateral subquery is ordered and joined to one row, so the rows come in version order
  // without a second sort of the whole stream in PostgreSQL; checked here, in O(n), all the same.
  if (
    !events.every(
      (e, i) => i === 0 || (events[i - 1] as RecordedEvent).streamVersion < e.streamVersion,
    )
  ) {
    events.sort((a, b) => a.streamVersion - b.streamVersion);
  }
  return { streamExists: currentVersion !== null, currentVersion: currentVersion ?? 0, events };
}
