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
  /**
   * Outside a transaction, one short lock at a time: the outbox keeps every message it ever sent,
   * so checking the constraint over it while holding the ACCESS EXCLUSIVE lock of ADD CONSTRAINT
   * would stop intake and the relay for the whole scan. The new column is NULL in every existing
   * row, so the constraint is added NOT VALID (no scan) and validated afterwards under a lock that
   * lets writes through. Every step can be repeated (a run cut short records nothing).
   */
  readonly transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query("SET lock_timeout = '10s'");
    try {
      await q.query('ALTER TABLE outbox ADD COLUMN IF NOT EXISTS event_position bigint');
      const [present] = (await q.query(
        "SELECT 1 FROM pg_constraint WHERE conname = 'outbox_value_or_event_ck'",
      )) as unknown[];
      if (present === undefined) {
        await q.query(
          'ALTER TABLE outbox ADD CONSTRAINT outbox_value_or_event_ck ' +
            'CHECK (event_position IS NULL OR value IS NULL) NOT VALID',
        );
      }
    } finally {
      await q.query('RESET lock_timeout');
    }
    await q.query('ALTER TABLE outbox VALIDATE CONSTRAINT outbox_value_or_event_ck');
  }

  /**
   * Refused while a row that names its event is unpublished: without the column it would be a row
   * with no value, which the relay before this migration publishes as a Kafka tombstone (the event
   * lost to consumers). Let the relay drain the outbox first (docs/adr/0013-intake-throughput.md,
   * "The outbox row names its event": rolling back).
   */
  async down(q: QueryRunner): Promise<void> {
    await q.startTransaction();
    try {
      // No new row may name its event between the count and the drop.
      await q.query('LOCK TABLE outbox IN SHARE ROW EXCLUSIVE MODE');
      const [pending] = (await q.query(
        'SELECT count(*)::int AS n FROM outbox WHERE event_position IS NOT NULL AND published_at IS NULL',
      )) as { n: number }[];
      if (pending && pending.n > 0) {
        throw new Error(
          `OutboxEventReference down: ${pending.n} unpublished outbox row(s) name their event; ` +
            'without event_position the relay would publish them as tombstones. Let the relay ' +
            'publish them (or stop intake and wait), then run the down migration again.',
        );
      }
      await q.query('ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_value_or_event_ck');
      await q.query('ALTER TABLE outbox DROP COLUMN IF EXISTS event_position');
      await q.commitTransaction();
    } catch (e) {
      await q.rollbackTransaction();
      throw e;
    }
  }
}
