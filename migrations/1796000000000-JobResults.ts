import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The governance side of the worker's results (docs/adr/0010-job-results.md).
 *
 * - gov_jobs_view: the job's latest progress (stage, done, total) and the last refused result.
 * - gov_models_view: the model's training (job, status, reason) when Lethe trains it.
 * - gov_model_versions_view: the released weights' digest, the certificate that released the
 *   version, and the public metrics of a trained version.
 * - gov_refused_results: every result message the governance service refused (bad shape, bad
 *   signature, a certificate that does not match its job), with its stable code: the operator's
 *   dead-letter record. The offset is committed only after this row is.
 */
export class JobResults1796000000000 implements MigrationInterface {
  name = 'JobResults1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE gov_jobs_view ADD COLUMN progress jsonb NULL');
    await q.query('ALTER TABLE gov_jobs_view ADD COLUMN last_refusal jsonb NULL');
    await q.query('ALTER TABLE gov_models_view ADD COLUMN training jsonb NULL');
    await q.query('ALTER TABLE gov_model_versions_view ADD COLUMN weights_digest text NULL');
    await q.query('ALTER TABLE gov_model_versions_view ADD COLUMN certificate_id text NULL');
    await q.query('ALTER TABLE gov_model_versions_view ADD COLUMN metrics jsonb NULL');
    await q.query(`
      CREATE TABLE gov_refused_results (
        topic text NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL,
        message_id text NULL,
        job_id text NULL,
        model_id text NULL,
        kind text NULL,
        code text NOT NULL,
        reason text NOT NULL,
        value text NULL,
        refused_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topic, partition, "offset")
      )`);
    await q.query('CREATE INDEX gov_refused_results_job_idx ON gov_refused_results (job_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE gov_refused_results');
    await q.query('ALTER TABLE gov_model_versions_view DROP COLUMN metrics');
    await q.query('ALTER TABLE gov_model_versions_view DROP COLUMN certificate_id');
    await q.query('ALTER TABLE gov_model_versions_view DROP COLUMN weights_digest');
    await q.query('ALTER TABLE gov_models_view DROP COLUMN training');
    await q.query('ALTER TABLE gov_jobs_view DROP COLUMN last_refusal');
    await q.query('ALTER TABLE gov_jobs_view DROP COLUMN progress');
  }
}
