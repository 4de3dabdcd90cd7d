import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /v1/deletion-requests?source=&eventId=` without a full index on (source, source_event_id)
 * (docs/adr/0013-intake-throughput.md, "PostgreSQL's share of a round").
 *
 * A request received since the idempotency key became (source, id) has the request id derived
 * from that pair (`intakeIdsFor`), so the lookup computes the id and reads the primary key. Only
 * requests stored before that derivation (their id from `id` alone) need a search by the pair,
 * and they are exactly the rows without a `content_digest` (the digest and the pair-derived id
 * came in the same change, and every DeletionRequested decided since carries a digest). So the
 * index over (source, source_event_id) becomes partial over those legacy rows: intake (which only
 * writes rows with a digest) no longer maintains it, and a rebuild of the view from the events
 * gives the same partition.
 */
export class LegacyRequestKeys1796650000000 implements MigrationInterface {
  name = 'LegacyRequestKeys1796650000000';
  /**
   * Outside a transaction, so the indexes are built and dropped CONCURRENTLY: on a deployed view
   * with many rows, a plain CREATE INDEX would block intake's inserts for the whole build. Every
   * step can be repeated, so a run cut short (which records nothing) is simply run again.
   */
  readonly transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await dropIfInvalid(q, 'gov_deletion_requests_view_legacy_key_idx');
    await q.query(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS gov_deletion_requests_view_legacy_key_idx ' +
        'ON gov_deletion_requests_view (source, source_event_id, received_at) ' +
        'WHERE content_digest IS NULL',
    );
    await q.query('DROP INDEX CONCURRENTLY IF EXISTS gov_deletion_requests_view_source_event_idx');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropIfInvalid(q, 'gov_deletion_requests_view_source_event_idx');
    await q.query(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS gov_deletion_requests_view_source_event_idx ' +
        'ON gov_deletion_requests_view (source, source_event_id)',
    );
    await q.query('DROP INDEX CONCURRENTLY IF EXISTS gov_deletion_requests_view_legacy_key_idx');
  }
}

/** A CONCURRENTLY build that failed leaves an invalid index of that name: drop it to build again. */
async function dropIfInvalid(q: QueryRunner, name: string): Promise<void> {
  const rows = (await q.query(
    "SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace",
    [name],
  )) as { valid: boolean }[];
  if (rows[0] && !rows[0].valid) await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
}
