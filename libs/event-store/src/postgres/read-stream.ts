import type { Event, RecordedEvent } from '../domain/event';
import { NO_UPCASTERS, type UpcasterRegistry } from '../domain/upcasting';
import { STREAM_EVENT_COLUMNS, type EventRow } from './event-rows';
import { sql, type Queryable } from './queryable';

export interface ReadStreamOptions {
  /** First stream version to return (1-based, inclusive); default 1. */
  readonly fromVersion?: number;
  /** Last stream version to return (inclusive); default: the end. */
  readonly toVersion?: number;
  readonly upcasters?: UpcasterRegistry;
}

/** A row of readStream's statement: the event columns are NULL when the stream has none. */
type StreamRow = Omit<EventRow, 'stream_id' | 'global_position' | 'data' | 'metadata'> & {
  current_version: number | null;
  global_position: string | null;
  /** JSON text of `data` and of `metadata`. */
  data_text: string;
  metadata_text: string;
};

export interface ReadStreamResult<E extends Event> {
  readonly streamExists: boolean;
  /** Version of the stream in the same snapshot as `events` (0 when absent). */
  readonly currentVersion: number;
  readonly events: RecordedEvent<E>[];
}

/**
 * Reads one stream in version order, in a single statement (one consistent snapshot): the
 * stream's version and its events, one row each (a single row with NULL event columns when the
 * stream has none in range). The stream id is not selected (it is `streamId`), data and metadata
 * come as JSON text, `recorded_at` as epoch milliseconds, and the events of one transaction
 * share one parsed BigInt.
 */
export async function readStream<E extends Event = Event>(
  db: Queryable,
  streamId: string,
  options: ReadStreamOptions = {},
): Promise<ReadStreamResult<E>> {
  const rows = await sql<StreamRow>(
    db,
    `WITH s AS (SELECT (SELECT version FROM streams WHERE stream_id = $1) AS current_version)
     SELECT s.current_version, e.*
       FROM s LEFT JOIN LATERAL (
         SELECT ${STREAM_EVENT_COLUMNS}
           FROM events
          WHERE stream_id = $1 AND stream_version >= $2 AND stream_version <= $3
          ORDER BY stream_version) e ON true`,
    [streamId, options.fromVersion ?? 1, options.toVersion ?? 2_147_483_647],
  );
  const currentVersion = rows[0]?.current_version ?? null;
  const upcasters = options.upcasters ?? NO_UPCASTERS;
  const events: RecordedEvent<E>[] = [];
  let ordered = true;
  let lastVersion = 0;
  let txText = '';
  let tx = 0n;
  for (const r of rows) {
    if (r.global_position === null) continue;
    if (r.transaction_id !== txText) {
      txText = r.transaction_id;
      tx = BigInt(txText);
    }
    if (r.stream_version <= lastVersion) ordered = false;
    lastVersion = r.stream_version;
    const event = {
      type: r.type,
      data: JSON.parse(r.data_text) as unknown,
      metadata: JSON.parse(r.metadata_text) as EventRow['metadata'],
      eventId: r.event_id,
      streamId,
      streamVersion: r.stream_version,
      globalPosition: BigInt(r.global_position),
      transactionId: tx,
      schemaVersion: r.schema_version,
      recordedAt: new Date(r.recorded_at),
    } as unknown as RecordedEvent<E>;
    events.push(upcasters.size === 0 ? event : upcasters.upcast(event));
  }
  // The lateral subquery is ordered and joined to one row, so the rows come in version order
  // without a second sort of the whole stream in PostgreSQL; checked above, in O(n), all the same.
  if (!ordered) events.sort((a, b) => a.streamVersion - b.streamVersion);
  return { streamExists: currentVersion !== null, currentVersion: currentVersion ?? 0, events };
}
