import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An outbox row may name the event it publishes instead of holding the message's bytes
 * (docs/adr/0013-intake-throughput.md, "The outbox row names its event").
 *
 * Intake's append wrote each governance event twice: once as the event (`events.data`, `metadata`)
 * and once as the outbox CloudEvent that repeats them (the largest row of the round, written again
 * whole when the relay marks it published). With `event_position` set, the row holds no value:
 * the relay builds the message from that event (same transaction, so the join reads
 * `events_safe_order_idx` by (transaction_id, global_position)) when it publishes. A row is either
 * a message (value, or NULL: a tombstone) or a reference, never both.
 */
export class OutboxEventReference1796700000000 implements MigrationInterface {
  name = 'OutboxEventReference1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outbox ADD COLUMN event_position bigint');
    await q.query(
      'ALTER TABLE outbox ADD CONSTRAINT outbox_value_or_event_ck ' +
        'CHECK (event_position IS NULL OR value IS NULL)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outbox DROP CONSTRAINT outbox_value_or_event_ck');
    await q.query('ALTER TABLE outbox DROP COLUMN event_position');
  }
}
