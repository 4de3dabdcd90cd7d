import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The auditor export (libs/audit, docs/adr/0016-audit-export.md) cuts the log by append time:
 * an index on audit_entries.appended_at finds the first and last leaf of a range without reading
 * the table. (Appends write appended_at non-decreasing along leaf_index, so a range of times is a
 * run of consecutive leaves.)
 */
export class AuditExportIndex1796200000000 implements MigrationInterface {
  name = 'AuditExportIndex1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE INDEX audit_entries_appended_at_idx ON audit_entries (appended_at, leaf_index)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS audit_entries_appended_at_idx');
  }
}
