import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Governance core (libs/governance, docs/adr/0005-governance-streams-and-stores.md).
 *
 * Write-side stores, written in the same transaction as the events that describe them:
 * - gov_datasets: registry of datasets (intake checks `scope.datasetIds` against it).
 * - gov_records: THE erasable records store; the only place a raw subject id lives.
 * - gov_lineage_models / gov_training_records: which records each model version was trained on.
 * - gov_request_records: per (request, model), the records the unlearning job must remove.
 *
 * Read models (projections of the event store, rebuildable, checkpointed by the runner):
 * - gov_deletion_requests_view, gov_models_view, gov_model_versions_view, gov_jobs_view.
 */
export class GovernanceCore1795702700000 implements MigrationInterface {
  name = 'GovernanceCore1795702700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gov_datasets (
        dataset_id text PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE gov_records (
        dataset_id text NOT NULL REFERENCES gov_datasets (dataset_id),
        record_id text NOT NULL,
        subject_id text NOT NULL,
        subject_ref text NOT NULL,
        features real[] NOT NULL,
        label jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (dataset_id, record_id)
      )`);
    await q.query('CREATE INDEX gov_records_subject_ref_idx ON gov_records (subject_ref)');

    await q.query(`
      CREATE TABLE gov_lineage_models (
        model_id text PRIMARY KEY,
        current_version integer NOT NULL
      )`);
    await q.query(`
      CREATE TABLE gov_training_records (
        model_id text NOT NULL,
        version integer NOT NULL,
        dataset_id text NOT NULL,
        record_id text NOT NULL,
        PRIMARY KEY (model_id, version, dataset_id, record_id)
      )`);
    await q.query(
      'CREATE INDEX gov_training_records_record_idx ON gov_training_records (dataset_id, record_id)',
    );
    await q.query(`
      CREATE TABLE gov_request_records (
        request_id text NOT NULL,
        model_id text NOT NULL,
        dataset_id text NOT NULL,
        record_id text NOT NULL,
        PRIMARY KEY (request_id, model_id, dataset_id, record_id)
      )`);

    await q.query(`
      CREATE TABLE gov_deletion_requests_view (
        request_id text PRIMARY KEY,
        source_event_id text NOT NULL,
        source text NOT NULL,
        channel text NOT NULL,
        subject_ref text NOT NULL,
        legal_basis text NOT NULL,
        status text NOT NULL,
        reason text NULL,
        requested_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL,
        deadline timestamptz NOT NULL,
        deadline_basis text NOT NULL,
        completed_at timestamptz NULL,
        records_erased boolean NOT NULL DEFAULT false,
        scope jsonb NULL,
        lineage_resolved boolean NOT NULL DEFAULT false,
        models jsonb NOT NULL DEFAULT '[]'::jsonb,
        history jsonb NOT NULL DEFAULT '[]'::jsonb,
        stream_version integer NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(
      'CREATE INDEX gov_deletion_requests_view_open_idx ON gov_deletion_requests_view (deadline) ' +
        "WHERE status NOT IN ('certified', 'no-records', 'rejected')",
    );

    await q.query(`
      CREATE TABLE gov_models_view (
        model_id text PRIMARY KEY,
        name text NOT NULL,
        description text NULL,
        current_version integer NOT NULL,
        queued_request_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
        oldest_queued_at timestamptz NULL,
        in_flight_job_id text NULL,
        requeued_job_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
        state jsonb NOT NULL,
        stream_version integer NOT NULL,
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE gov_model_versions_view (
        model_id text NOT NULL,
        version integer NOT NULL,
        parent_version integer NULL,
        origin text NOT NULL,
        job_id text NULL,
        dataset_ids jsonb NOT NULL,
        record_count integer NOT NULL,
        digest text NOT NULL,
        registered_at timestamptz NOT NULL,
        PRIMARY KEY (model_id, version)
      )`);

    await q.query(`
      CREATE TABLE gov_jobs_view (
        job_id text PRIMARY KEY,
        model_id text NOT NULL,
        status text NOT NULL,
        attempt integer NOT NULL,
        attempts_in_round integer NOT NULL,
        max_attempts integer NOT NULL,
        base_version integer NOT NULL,
        request_ids jsonb NOT NULL,
        next_attempt_at timestamptz NULL,
        reason text NULL,
        version_after integer NULL,
        certificate_id text NULL,
        history jsonb NOT NULL DEFAULT '[]'::jsonb,
        state jsonb NOT NULL,
        stream_version integer NOT NULL,
        scheduled_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX gov_jobs_view_model_idx ON gov_jobs_view (model_id)');
    await q.query(
      "CREATE INDEX gov_jobs_view_retry_idx ON gov_jobs_view (next_attempt_at) WHERE status = 'retry-wait'",
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'gov_jobs_view',
      'gov_model_versions_view',
      'gov_models_view',
      'gov_deletion_requests_view',
      'gov_request_records',
      'gov_training_records',
      'gov_lineage_models',
      'gov_records',
      'gov_datasets',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
