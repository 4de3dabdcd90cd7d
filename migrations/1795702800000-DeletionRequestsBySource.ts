import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deletion requests are keyed by the CloudEvents pair (source, id) (docs/adr/0006-deletion-intake.md).
 *
 * - gov_deletion_requests_view.content_digest: the digest of the request's content, as its
 *   DeletionRequested event recorded it (null for events stored before digests existed).
 * - gov_deletion_requests_view_source_event_idx: `GET /v1/deletion-requests?source=&eventId=` finds
 *   a publisher's request by its pair. Not unique: requests stored before the pair keyed them
 *   derived their id from `id` alone, so one pair may, in such a database, name two requests.
 */
export class DeletionRequestsBySource1795702800000 implements MigrationInterface {
  name = 'DeletionRequestsBySource1795702800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE gov_deletion_requests_view ADD COLUMN content_digest text NULL');
    await q.query(
      'CREATE INDEX gov_deletion_requests_view_source_event_idx ' +
        'ON gov_deletion_requests_view (source, source_event_id)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS gov_deletion_requests_view_source_event_idx');
    await q.query('ALTER TABLE gov_deletion_requests_view DROP COLUMN IF EXISTS content_digest');
  }
}
