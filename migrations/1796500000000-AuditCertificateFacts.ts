import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The facts of every certificate that the compliance summary reads (GET /v1/compliance/summary,
 * the dashboard and the PDF report), as columns of audit_certificates, so that the summary is one
 * query instead of a JWS decode per certificate per call (docs/adr/0019-audit-merkle-nodes.md).
 * Same derivation as the columns already there: decoded in the database from the signed payload,
 * by the AFTER INSERT trigger of audit_entries, in the appending transaction; the rows already
 * there are filled here. The values follow certificateFactsOf (libs/governance): a JSON number,
 * an integral number, an accuracy in [0, 1] given as a number or as `{ accuracy }`; anything else
 * is NULL. sequence_index is NULL when `sequence` is not an object (such a row is left out of the
 * summary, as before).
 *
 * The table stays append-only: the backfill below is the one UPDATE, by the migration, with the
 * append-only trigger disabled inside this transaction and appends locked out.
 */
const FACT_COLUMNS = `epsilon, delta, sigma, version_before, version_after, sequence_index,
  cumulative_epsilon, cumulative_delta, accuracy_before, accuracy_after, accuracy_after_metric`;

/** The fact columns' values from the payload `p` (jsonb). */
const FACT_VALUES = `
  audit_json_number(p -> 'guarantee' -> 'epsilon'),
  audit_json_number(p -> 'guarantee' -> 'delta'),
  audit_json_number(p -> 'guarantee' -> 'sigma'),
  CASE WHEN jsonb_typeof(p -> 'model') = 'object'
       THEN audit_json_integer(p -> 'model' -> 'versionBefore') END,
  CASE WHEN jsonb_typeof(p -> 'model') = 'object'
       THEN audit_json_integer(p -> 'model' -> 'versionAfter') END,
  CASE WHEN jsonb_typeof(p -> 'sequence') = 'object'
       THEN COALESCE(audit_json_integer(p -> 'sequence' -> 'index'), 0) END,
  audit_json_number(p -> 'sequence' -> 'cumulativeEpsilon'),
  audit_json_number(p -> 'sequence' -> 'cumulativeDelta'),
  audit_json_accuracy(p -> 'evidence' -> 'accuracy' -> 'before'),
  COALESCE(audit_json_accuracy(p -> 'evidence' -> 'accuracy' -> 'after'),
           audit_json_accuracy(p -> 'evidence' -> 'accuracy' -> 'test')),
  CASE WHEN audit_json_accuracy(p -> 'evidence' -> 'accuracy' -> 'after') IS NOT NULL
       THEN 'certificate:evidence.accuracy.after'
       WHEN audit_json_accuracy(p -> 'evidence' -> 'accuracy' -> 'test') IS NOT NULL
       THEN 'certificate:evidence.accuracy.test' END`;

export class AuditCertificateFacts1796500000000 implements MigrationInterface {
  name = 'AuditCertificateFacts1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('LOCK TABLE audit_entries IN SHARE ROW EXCLUSIVE MODE');
    await q.query(`
      CREATE FUNCTION audit_json_number(v jsonb) RETURNS double precision
      LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN v::double precision END
      $$`);
    await q.query(`
      CREATE FUNCTION audit_json_integer(v jsonb) RETURNS bigint
      LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN jsonb_typeof(v) = 'number' AND v::numeric = trunc(v::numeric)
                     AND abs(v::numeric) <= 9007199254740991 THEN v::numeric::bigint END
      $$`);
    await q.query(`
      CREATE FUNCTION audit_json_accuracy(v jsonb) RETURNS double precision
      LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN a BETWEEN 0 AND 1 THEN a END
          FROM (SELECT audit_json_number(CASE WHEN jsonb_typeof(v) = 'object'
                                              THEN v -> 'accuracy' ELSE v END) AS a) x
      $$`);
    await q.query(`
      ALTER TABLE audit_certificates
        ADD COLUMN epsilon double precision NULL,
        ADD COLUMN delta double precision NULL,
        ADD COLUMN sigma double precision NULL,
        ADD COLUMN version_before bigint NULL,
        ADD COLUMN version_after bigint NULL,
        ADD COLUMN sequence_index bigint NULL,
        ADD COLUMN cumulative_epsilon double precision NULL,
        ADD COLUMN cumulative_delta double precision NULL,
        ADD COLUMN accuracy_before double precision NULL,
        ADD COLUMN accuracy_after double precision NULL,
        ADD COLUMN accuracy_after_metric text NULL`);
    await q.query('ALTER TABLE audit_certificates DISABLE TRIGGER audit_certificates_append_only');
    await q.query(`
      UPDATE audit_certificates c SET (${FACT_COLUMNS}) = (SELECT ${FACT_VALUES})
        FROM (SELECT leaf_index,
                     audit_jws_payload(convert_from(data, 'UTF8')::jsonb ->> 'jws') AS p
                FROM audit_entries WHERE kind = 'certificate') e
       WHERE e.leaf_index = c.leaf_index`);
    await q.query('ALTER TABLE audit_certificates ENABLE TRIGGER audit_certificates_append_only');
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_index_certificate(idx bigint, cert_id text, entry bytea)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        p jsonb := audit_jws_payload(convert_from(entry, 'UTF8')::jsonb ->> 'jws');
      BEGIN
        INSERT INTO audit_certificates (certificate_id, leaf_index, issued_at, model_id, method,
                                        guarantee_type, subject_refs, request_ids, ${FACT_COLUMNS})
        VALUES (cert_id, idx, (p ->> 'issuedAt')::timestamptz, p -> 'model' ->> 'modelId',
                p ->> 'method', p -> 'guarantee' ->> 'type',
                ARRAY(SELECT jsonb_array_elements_text(p -> 'subjectRefs')),
                ARRAY(SELECT jsonb_array_elements_text(p -> 'requestIds')), ${FACT_VALUES});
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_index_certificate(idx bigint, cert_id text, entry bytea)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        p jsonb := audit_jws_payload(convert_from(entry, 'UTF8')::jsonb ->> 'jws');
      BEGIN
        INSERT INTO audit_certificates (certificate_id, leaf_index, issued_at, model_id, method,
                                        guarantee_type, subject_refs, request_ids)
        VALUES (cert_id, idx, (p ->> 'issuedAt')::timestamptz, p -> 'model' ->> 'modelId',
                p ->> 'method', p -> 'guarantee' ->> 'type',
                ARRAY(SELECT jsonb_array_elements_text(p -> 'subjectRefs')),
                ARRAY(SELECT jsonb_array_elements_text(p -> 'requestIds')));
      END $$`);
    await q.query(
      `ALTER TABLE audit_certificates ${FACT_COLUMNS.split(',')
        .map((c) => `DROP COLUMN IF EXISTS ${c.trim()}`)
        .join(', ')}`,
    );
    await q.query('DROP FUNCTION IF EXISTS audit_json_accuracy(jsonb)');
    await q.query('DROP FUNCTION IF EXISTS audit_json_integer(jsonb)');
    await q.query('DROP FUNCTION IF EXISTS audit_json_number(jsonb)');
  }
}
