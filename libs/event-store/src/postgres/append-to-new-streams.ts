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
import { assertInTransaction, pgErrorOf, PG_UNIQUE_VIOLATION, sql } from './queryable';

export interface NewStream<E extends Event = Event> {
  readonly streamId: string;
  readonly events: readonly NewEvent<E>[];
  /** Outbox rows written only if this stream is created. */
  readonly outbox?: readonly OutboxMessage[];
}

/**
 * Creates, in the caller's transaction, every stream of `streams` that does not exist yet, with its
 * events (versions 1..n) and outbox rows; streams that already exist are skipped without error (so
 * is a repeated stream id in the input: the first entry wins). Three statements for the whole
 * batch: one INSERT … ON CONFLICT DO NOTHING into `streams`, one for events, one for the outbox.
 * A concurrent creator of the same stream holds its row: this call waits, then skips it.
 * Bulk intake path: same invariants as `appendToStream(…, 'no-stream', …)` per stream.
 */
export async function appendToNewStreams<E extends Event>(
  manager: EntityManager,
  streams: readonly NewStream<E>[],
): Promise<{ created: ReadonlySet<string> }> {
  assertInTransaction(manager, 'appendToNewStreams');
  const unique = new Map<string, NewStream<E>>();
  for (const s of streams)
    if (s.events.length > 0 && !unique.has(s.streamId)) unique.set(s.streamId, s);
  if (unique.size === 0) return { created: new Set() };
  const candidates = [...unique.values()];
  const firstId = candidates[0]?.streamId ?? '';
  try {
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
