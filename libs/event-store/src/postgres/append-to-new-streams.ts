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
 * Writes that the caller adds to the same transaction once it knows which streams were created
 * (e.g. inline read-model rows): it sends its statements and returns their promise WITHOUT
 * awaiting the append's own statements, so its rows are built while PostgreSQL executes them.
 */
export type AlsoWrite = (created: ReadonlySet<string>) => Promise<unknown>;

/**
 * Creates, in the caller's transaction, every stream of `streams` that does not exist yet, with its
 * events (versions 1..n) and outbox rows; streams that already exist are skipped without error (so
 * is a repeated stream id in the input: the first entry wins). Three statements for the whole
 * batch: one INSERT … ON CONFLICT DO NOTHING into `streams`, one for events, one for the outbox.
 * A concurrent creator of the same stream holds its row: this call waits, then skips it.
 * Bulk intake path: same invariants as `appendToStream(…, 'no-stream', …)` per stream.
 *
 * Pipelined (docs/benchmarks.md, "Governance intake", the intake's wait): node-postgres queues the
 * statements of one connection, so each statement is sent without awaiting the previous one's
 * result where nothing depends on it, and the next statement's parameter is built while
 * PostgreSQL executes the previous one — before, the service thread and PostgreSQL took turns.
 * The events JSON is built while the `streams` INSERT runs (for every candidate, rebuilt in the
 * rare case that some stream already existed); the outbox JSON while the events INSERT runs; and
 * `alsoWrite` (the caller's rows) while the outbox INSERT runs. Every statement is awaited before
 * this resolves; the first failure rejects it (the transaction is then aborted).
 */
export async function appendToNewStreams<E extends Event>(
  manager: EntityManager,
  streams: readonly NewStream<E>[],
  alsoWrite?: AlsoWrite,
): Promise<{ created: ReadonlySet<string> }> {
  assertInTransaction(manager, 'appendToNewStreams');
  const unique = new Map<string, NewStream<E>>();
  for (const s of streams)
    if (s.events.length > 0 && !unique.has(s.streamId)) unique.set(s.streamId, s);
  if (unique.size === 0) return { created: new Set() };
  const candidates = [...unique.values()];
  const firstId = candidates[0]?.streamId ?? '';
  const pending: Promise<unknown>[] = [];
  /** Sent now, awaited at the end; a handler at once (it may reject before it is awaited). */
  const send = (p: Promise<unknown>): void => {
    p.catch(() => undefined);
    pending.push(p);
  };
  try {
    // Returns only the streams it did NOT create (usually none): no 5,000-row result to parse.
    const skippedRows = sql<{ stream_id: string }>(
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
    skippedRows.catch(() => undefined);
    await sent();
    // Built while the streams INSERT runs, on the usual assumption that every stream is new.
    let eventsParam = eventsJson(candidates);
    const skipped = new Set((await skippedRows).map((r) => r.stream_id));
    const created = new Set<string>();
    for (const s of candidates) if (!skipped.has(s.streamId)) created.add(s.streamId);
    if (created.size === 0) return { created };
    const fresh =
      skipped.size === 0 ? candidates : candidates.filter((s) => created.has(s.streamId));
    if (skipped.size > 0) eventsParam = eventsJson(fresh);
    send(
      manager.query(
        `INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
       SELECT t.s, t.n, ${EVENT_ID_SQL}, t.type, ${EVENT_SCHEMA_VERSION_SQL}, ${EVENT_DATA_SQL}, t.metadata
         FROM ${eventsRecordset('$1')}
        ORDER BY t.ord`,
        [eventsParam],
      ),
    );
    await sent();
    send(
      enqueueOutbox(
        manager,
        fresh.flatMap((s) => s.outbox ?? []),
      ),
    );
    if (alsoWrite) {
      await sent();
      send(alsoWrite(created));
    }
    // In order: the first statement that failed is the cause (the later ones then fail with
    // "current transaction is aborted").
    for (const p of pending) await p;
    return { created };
  } catch (e) {
    await Promise.allSettled(pending);
    const pg = pgErrorOf(e);
    if (pg.code === PG_UNIQUE_VIOLATION && pg.constraint === 'events_event_id_uq') {
      throw new EventStoreDuplicateEventError(firstId, pg.message ?? 'event_id');
    }
    throw asConcurrencyError(e, firstId, 'no-stream') ?? e;
  }
}

/**
 * Lets a statement just issued reach the socket before more synchronous work: TypeORM hands it to
 * node-postgres only after a few promise hops, which run once the current code yields.
 */
const sent = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The events INSERT's parameter: every event of `streams`, versions 1..n. */
function eventsJson(streams: readonly NewStream[]): string {
  const eventRows: object[] = [];
  for (const s of streams) {
    s.events.forEach((e, i) => eventRows.push(eventJson(e, s.streamId, i + 1)));
  }
  return JSON.stringify(eventRows);
}
