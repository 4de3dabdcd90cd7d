import { checkpointOf, maxCheckpoint, type Checkpoint } from '../domain/checkpoint';
import type { Event, RecordedEvent } from '../domain/event';
import { NO_UPCASTERS, type UpcasterRegistry } from '../domain/upcasting';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './event-rows';
import { sql, type Queryable } from './queryable';

export interface ReadAllOptions {
  /** Most events to return; default 500. */
  readonly limit?: number;
  /** Only these event types (the checkpoint still moves past the others). */
  readonly types?: readonly string[];
  readonly upcasters?: UpcasterRegistry;
}

export interface ReadAllResult<E extends Event> {
  readonly events: RecordedEvent<E>[];
  /** What to store after handling `events`; read strictly after it next time. */
  readonly checkpoint: Checkpoint;
  /** No more events are visible right now (fewer than `limit` were returned). */
  readonly isCaughtUp: boolean;
}

/**
 * Reads the global log strictly after `after`, in `(transaction_id, global_position)` order, and
 * only events of transactions older than the snapshot's xmin: every transaction below xmin has
 * ended, so no event can later appear before the returned checkpoint (a sequence value allocated
 * by a transaction still in flight is waited for, never skipped). One statement, one snapshot.
 *
 * When the visible range is exhausted the checkpoint moves to `(xmin, 0)`, past everything seen.
 * An open writing transaction anywhere in the cluster holds xmin back: it delays subscribers,
 * it never makes them skip.
 */
export async function readAll<E extends Event = Event>(
  db: Queryable,
  after: Checkpoint,
  options: ReadAllOptions = {},
): Promise<ReadAllResult<E>> {
  const limit = options.limit ?? 500;
  const rows = await sql<EventRow & { snapshot_xmin: string }>(
    db,
    `WITH snap AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
     SELECT snap.xmin::text AS snapshot_xmin, e.*
       FROM snap LEFT JOIN LATERAL (
         SELECT ${EVENT_COLUMNS}, transaction_id AS order_tx, global_position AS order_pos
           FROM events
          WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
            AND transaction_id < snap.xmin
            AND ($4::text[] IS NULL OR type = ANY($4::text[]))
          ORDER BY order_tx, order_pos -- not the text-cast output columns
          LIMIT $3) e ON true
      ORDER BY e.order_tx, e.order_pos`,
    [
      after.transactionId.toString(),
      after.position.toString(),
      limit,
      options.types ? [...options.types] : null,
    ],
  );
  const upcasters = options.upcasters ?? NO_UPCASTERS;
  const events = rows
    .filter((r) => r.global_position !== null)
    .map((r) => upcasters.upcast(toRecordedEvent<E>(r)));
  const isCaughtUp = events.length < limit;
  const last = events[events.length - 1];
  let checkpoint = last ? maxCheckpoint(after, checkpointOf(last)) : after;
  const xmin = rows[0]?.snapshot_xmin;
  if (isCaughtUp && xmin !== undefined) {
    checkpoint = maxCheckpoint(checkpoint, { transactionId: BigInt(xmin), position: 0n });
  }
  return { events, checkpoint, isCaughtUp };
}
