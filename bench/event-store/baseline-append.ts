/**
 * BASELINE for the bench only: `appendToStream` as it was before the one-round-trip function
 * (migration EventStoreAppendFunction): four statements in the caller's transaction (the
 * stream's advisory lock, the conditional write of `streams`, the events INSERT, the outbox
 * INSERT). Kept verbatim in behaviour so the bench prints before and after in one run.
 */
import type { EntityManager } from 'typeorm';
import {
  AdvisoryLockSpace,
  EventStoreConcurrencyError,
  enqueueOutbox,
  type Event,
  type ExpectedVersion,
  type NewEvent,
  type OutboxMessage,
} from '@lethe/event-store';

const EVENTS_INSERT = `WITH ins AS (
   INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
   SELECT $1, $2::int + t.ord::int, (t.metadata->>'messageId')::uuid, t.type,
          (t.metadata->>'schemaVersion')::int, COALESCE(t.data, 'null'::jsonb), t.metadata
     FROM ROWS FROM (jsonb_to_recordset($3::jsonb) AS (s text, n int, type text, data jsonb, metadata jsonb))
          WITH ORDINALITY AS t(s, n, type, data, metadata, ord)
    ORDER BY t.ord
   RETURNING global_position)
 SELECT max(global_position)::text AS last, pg_current_xact_id()::text AS txid FROM ins`;

async function rows<R>(m: EntityManager, text: string, params: unknown[]): Promise<R[]> {
  return (await m.queryRunner!.query(text, params, true)).records as R[];
}

export async function baselineAppendToStream<E extends Event>(
  manager: EntityManager,
  streamId: string,
  expected: ExpectedVersion,
  events: readonly NewEvent<E>[],
  outbox: readonly OutboxMessage[] = [],
): Promise<{ nextExpectedVersion: number }> {
  await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    AdvisoryLockSpace.stream,
    streamId,
  ]);
  let advanced: { version: number }[];
  if (expected === 'no-stream' || expected === 0) {
    advanced = await rows(
      manager,
      `INSERT INTO streams (stream_id, version, last_transaction_id)
       VALUES ($1, $2, pg_current_xact_id())
       ON CONFLICT (stream_id) DO NOTHING
       RETURNING version`,
      [streamId, events.length],
    );
  } else if (expected === 'any') {
    advanced = await rows(
      manager,
      `INSERT INTO streams AS s (stream_id, version, last_transaction_id)
       VALUES ($1, $2, pg_current_xact_id())
       ON CONFLICT (stream_id) DO UPDATE
          SET version = s.version + EXCLUDED.version,
              last_transaction_id = EXCLUDED.last_transaction_id,
              updated_at = now()
        WHERE s.last_transaction_id <= EXCLUDED.last_transaction_id
       RETURNING version`,
      [streamId, events.length],
    );
  } else {
    advanced = await rows(
      manager,
      `UPDATE streams
          SET version = version + $3, last_transaction_id = pg_current_xact_id(), updated_at = now()
        WHERE stream_id = $1 AND version = $2 AND last_transaction_id <= pg_current_xact_id()
       RETURNING version`,
      [streamId, expected, events.length],
    );
  }
  const version = advanced[0]?.version;
  if (version === undefined) throw new EventStoreConcurrencyError(streamId, expected, -1);
  await rows(manager, EVENTS_INSERT, [
    streamId,
    version - events.length,
    JSON.stringify(
      events.map((e) => ({ type: e.type, data: e.data ?? null, metadata: e.metadata })),
    ),
  ]);
  await enqueueOutbox(manager, outbox);
  return { nextExpectedVersion: version };
}
