import type { EntityManager } from 'typeorm';
import { enqueueOutbox, type NewEvent, type OutboxMessage } from '@lethe/event-store';

export interface NewStream {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  /** Outbox rows written only if this stream is created. */
  readonly outbox: readonly OutboxMessage[];
}

/**
 * WORKAROUND until `@lethe/event-store` ships a bulk append (libs/governance/NEEDS.md §1).
 *
 * Creates every stream in `streams` that does not exist yet, with its events and outbox rows, in
 * three statements for the whole batch; streams that already exist are skipped (idempotent intake).
 * Same invariants as `appendToStream` with `expected = 'no-stream'`: the `streams` row is inserted
 * with `ON CONFLICT DO NOTHING` (a concurrent creator holds the row lock; we wait, then skip), the
 * events get versions 1..n, `unique(stream_id, stream_version)` stays the backstop. Must run inside
 * the caller's transaction. Returns the stream ids that this call created.
 */
export async function appendToNewStreams(
  manager: EntityManager,
  streams: readonly NewStream[],
): Promise<ReadonlySet<string>> {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('appendToNewStreams must run inside a transaction');
  }
  if (streams.length === 0) return new Set();
  const rows = (await manager.query(
    `INSERT INTO streams (stream_id, version, last_transaction_id)
     SELECT t.id, t.version, pg_current_xact_id()
       FROM unnest($1::text[], $2::int[]) AS t(id, version)
     ON CONFLICT (stream_id) DO NOTHING
     RETURNING stream_id`,
    [streams.map((s) => s.streamId), streams.map((s) => s.events.length)],
  )) as { stream_id: string }[];
  const created = new Set(rows.map((r) => r.stream_id));
  if (created.size === 0) return created;

  const fresh = streams.filter((s) => created.has(s.streamId));
  const events = fresh.flatMap((s) =>
    s.events.map((e, i) => ({
      s: s.streamId,
      v: i + 1,
      id: e.metadata.messageId,
      type: e.type,
      sv: e.metadata.schemaVersion,
      data: e.data ?? null,
      metadata: e.metadata,
    })),
  );
  await manager.query(
    `INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
     SELECT t.x->>'s', (t.x->>'v')::int, (t.x->>'id')::uuid, t.x->>'type', (t.x->>'sv')::int,
            t.x->'data', t.x->'metadata'
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(x, ord)
      ORDER BY t.ord`,
    [JSON.stringify(events)],
  );
  await enqueueOutbox(
    manager,
    fresh.flatMap((s) => s.outbox),
  );
  return created;
}
