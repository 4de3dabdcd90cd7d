import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tombstones of erased records (docs/adr/0010-job-results.md, "Training jobs"): the (dataset,
 * record) ids the erasure deleted from gov_records, no subject id and no content. A training job
 * names every erased record of its datasets as `excludedRecords`, so the worker never reads an
 * erased subject's rows from a dataset source that still holds them (the source files are the
 * publisher's, not Lethe's). Written in the erasure's own transaction.
 */
export class ErasedRecords1796300000000 implements MigrationInterface {
  name = 'ErasedRecords1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gov_erased_records (
        dataset_id text NOT NULL,
        record_id text NOT NULL,
        erased_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (dataset_id, record_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE gov_erased_records');
  }
}
