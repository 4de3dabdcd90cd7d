import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Event store, transactional outbox, projection checkpoints and idempotency keys
 * (libs/event-store, docs/adr/0001-event-store.md). Needs PostgreSQL ≥ 13 (xid8).
 */
export class EventStore1795702621283 implements MigrationInterface {
  name = 'EventStore1795702621283';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE streams (
        stream_id text PRIMARY KEY,
        version integer NOT NULL CHECK (version >= 0),
        last_transaction_id xid8 NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE events (
        global_position bigserial PRIMARY KEY,
        stream_id text NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version >= 1),
        event_id uuid NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL DEFAULT 1,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        recorded_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_event_id_uq UNIQUE (event_id),
        CONSTRAINT events_stream_version_uq UNIQUE (stream_id, stream_version)
      )`);
    await q.query('CREATE INDEX events_safe_order_idx ON events (transaction_id, global_position)');
    await q.query(
      'CREATE INDEX events_type_safe_order_idx ON events (type, transaction_id, global_position)',
    );
    // Events are immutable: corrections are new events, schema changes are upcasters.
    await q.query(`
      CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events are append-only (% refused)', TG_OP USING ERRCODE = 'P0001';
      END $$`);
    await q.query(`
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_refuse_change()`);

    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        key text NULL,
        value bytea NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz NULL
      )`);
    await q.query(
      'CREATE INDEX outbox_unpublished_idx ON outbox (transaction_id, id) WHERE published_at IS NULL',
    );
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('lethe_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
      FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);

    await q.query(`
      CREATE TABLE projection_checkpoints (
        name text PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT '0'::xid8,
        position bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        stream_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS idempotency_keys');
    await q.query('DROP TABLE IF EXISTS projection_checkpoints');
    await q.query('DROP TABLE IF EXISTS outbox');
    await q.query('DROP FUNCTION IF EXISTS outbox_notify()');
    await q.query('DROP TABLE IF EXISTS events');
    await q.query('DROP FUNCTION IF EXISTS events_refuse_change()');
    await q.query('DROP TABLE IF EXISTS streams');
  }
}
