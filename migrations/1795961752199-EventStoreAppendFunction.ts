import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One round trip per append (libs/event-store, docs/adr/0001-event-store.md §"Append path"):
 * `lethe_append_to_stream` does in one call what `appendToStream` used to send as four
 * statements (the stream's advisory lock, the conditional write of `streams`, the events INSERT,
 * the outbox INSERT), with the same checks in the same order:
 * - the stream's transaction-scoped advisory lock is taken first, before the transaction gets
 *   its id, so writers of one stream get increasing ids in lock order;
 * - the expected version (NULL = any, 0 = no stream yet, n) and the refusal to append from a
 *   transaction older than the stream's last writer are checked by the conditional write; a
 *   refused append writes nothing and returns `next_version` NULL with the actual version and
 *   whether the transaction order held (the caller raises CONCURRENCY_CONFLICT);
 * - the events and the outbox rows go in with the stream row, in the caller's transaction (or,
 *   called on its own, in the statement's own transaction).
 * Duplicate event ids and version races still fail on `events_event_id_uq` /
 * `events_stream_version_uq`, as before. The plpgsql plans are prepared once per session.
 *
 * Index review (evidence in docs/adr/0001-event-store.md): five indexes on `events` become three.
 * - `events_type_safe_order_idx` goes: the planner walks `events_safe_order_idx` for the typed
 *   global read too (EXPLAIN in the bench), so only appends paid for it.
 * - The primary key moves from `global_position` (read by nothing alone; a sequence value is
 *   unique anyway) to `(stream_id, stream_version)`, which was already a unique index; the
 *   constraint keeps its name `events_stream_version_uq`, so errors map as before.
 * - Kept: `events_safe_order_idx` (every global read) and `events_event_id_uq` (the refusal of
 *   a duplicate event id).
 */
export class EventStoreAppendFunction1795961752199 implements MigrationInterface {
  name = 'EventStoreAppendFunction1795961752199';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX events_type_safe_order_idx');
    await q.query(`
      ALTER TABLE events
        DROP CONSTRAINT events_pkey,
        DROP CONSTRAINT events_stream_version_uq,
        ADD CONSTRAINT events_stream_version_uq PRIMARY KEY (stream_id, stream_version)`);
    await q.query(`
      CREATE FUNCTION lethe_append_to_stream(
        p_stream_id text,
        p_expected integer,
        p_events jsonb,
        p_outbox json,
        OUT next_version integer,
        OUT last_position bigint,
        OUT txid xid8,
        OUT actual_version integer,
        OUT in_order boolean)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_count integer := jsonb_array_length(p_events);
        v_version integer;
      BEGIN
        -- 'LETS' (AdvisoryLockSpace.stream): serializes the stream's writers.
        PERFORM pg_advisory_xact_lock(1279611987, hashtext(p_stream_id));
        IF v_count = 0 THEN
          SELECT s.version INTO v_version FROM streams s WHERE s.stream_id = p_stream_id;
          actual_version := coalesce(v_version, 0);
          in_order := true;
          IF p_expected IS NOT NULL AND p_expected <> actual_version THEN
            RETURN;
          END IF;
          next_version := actual_version;
          last_position := 0;
          txid := '0'::xid8;
        ELSE
          IF p_expected = 0 THEN
            INSERT INTO streams (stream_id, version, last_transaction_id)
            VALUES (p_stream_id, v_count, pg_current_xact_id())
            ON CONFLICT (stream_id) DO NOTHING
            RETURNING version INTO v_version;
          ELSIF p_expected IS NULL THEN
            INSERT INTO streams AS s (stream_id, version, last_transaction_id)
            VALUES (p_stream_id, v_count, pg_current_xact_id())
            ON CONFLICT (stream_id) DO UPDATE
               SET version = s.version + EXCLUDED.version,
                   last_transaction_id = EXCLUDED.last_transaction_id,
                   updated_at = now()
             WHERE s.last_transaction_id <= EXCLUDED.last_transaction_id
            RETURNING s.version INTO v_version;
          ELSE
            UPDATE streams s
               SET version = s.version + v_count,
                   last_transaction_id = pg_current_xact_id(),
                   updated_at = now()
             WHERE s.stream_id = p_stream_id AND s.version = p_expected
               AND s.last_transaction_id <= pg_current_xact_id()
            RETURNING s.version INTO v_version;
          END IF;
          IF v_version IS NULL THEN
            SELECT s.version, s.last_transaction_id <= pg_current_xact_id()
              INTO actual_version, in_order
              FROM streams s WHERE s.stream_id = p_stream_id;
            actual_version := coalesce(actual_version, 0);
            in_order := coalesce(in_order, true);
            RETURN;
          END IF;
          WITH ins AS (
            INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
            SELECT p_stream_id, v_version - v_count + t.ord::integer,
                   (t.metadata->>'messageId')::uuid, t.type, (t.metadata->>'schemaVersion')::integer,
                   COALESCE(t.data, 'null'::jsonb), t.metadata
              FROM ROWS FROM (jsonb_to_recordset(p_events) AS (type text, data jsonb, metadata jsonb))
                   WITH ORDINALITY AS t(type, data, metadata, ord)
             ORDER BY t.ord
            RETURNING global_position)
          SELECT max(ins.global_position) INTO last_position FROM ins;
          next_version := v_version;
          actual_version := v_version;
          in_order := true;
          txid := pg_current_xact_id();
        END IF;
        IF p_outbox IS NOT NULL AND json_array_length(p_outbox) > 0 THEN
          -- Same element format as enqueueOutbox (libs/event-store/src/outbox/enqueue-outbox.ts).
          INSERT INTO outbox (topic, key, value, headers)
          SELECT o.t, o.k,
                 COALESCE(convert_to(o.j::text, 'UTF8'), convert_to(o.s, 'UTF8'), decode(o.b, 'base64')),
                 COALESCE(o.h, '{}'::jsonb)
            FROM ROWS FROM (json_to_recordset(p_outbox)
                            AS (t text, k text, j json, s text, b text, h jsonb))
                 WITH ORDINALITY AS o(t, k, j, s, b, h, ord)
           ORDER BY o.ord;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION IF EXISTS lethe_append_to_stream(text, integer, jsonb, json)');
    await q.query(`
      ALTER TABLE events
        DROP CONSTRAINT events_stream_version_uq,
        ADD CONSTRAINT events_pkey PRIMARY KEY (global_position),
        ADD CONSTRAINT events_stream_version_uq UNIQUE (stream_id, stream_version)`);
    await q.query(
      'CREATE INDEX events_type_safe_order_idx ON events (type, transaction_id, global_position)',
    );
  }
}
