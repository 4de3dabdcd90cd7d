import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The compliance queries (docs/adr/0015-authorisation.md, docs/architecture.md).
 *
 * - audit_certificates: one row per certificate of the audit log, the fields `GET /v1/certificates`
 *   filters and orders on (issuedAt, model, method, guarantee type, subject refs), read from the
 *   signed payload. It is derived, in the database, from audit_entries: an AFTER INSERT trigger
 *   decodes the JWS payload of every certificate entry in the appending transaction, so no append
 *   can miss it, and the existing entries are indexed here. Append-only like the log (same
 *   triggers; lethe_audit_writer holds SELECT and INSERT).
 * - gov_deletion_requests_view: indexes for `GET /v1/deletion-requests` lists, in their order
 *   (received_at, request_id), by source or not.
 */
export class ComplianceQueries1796100000000 implements MigrationInterface {
  name = 'ComplianceQueries1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_certificates (
        certificate_id text PRIMARY KEY REFERENCES audit_entries (certificate_id),
        leaf_index bigint NOT NULL UNIQUE REFERENCES audit_entries (leaf_index),
        issued_at timestamptz NOT NULL,
        model_id text NULL,
        method text NOT NULL,
        guarantee_type text NOT NULL,
        subject_refs text[] NOT NULL,
        request_ids text[] NOT NULL
      )`);
    await q.query(
      'CREATE INDEX audit_certificates_issued_idx ON audit_certificates (issued_at, leaf_index)',
    );
    await q.query(
      'CREATE INDEX audit_certificates_model_idx ' +
        'ON audit_certificates (model_id, issued_at, leaf_index)',
    );
    await q.query(
      'CREATE INDEX audit_certificates_subject_refs_idx ON audit_certificates USING gin (subject_refs)',
    );

    // The payload of a compact JWS (base64url, unpadded) as jsonb.
    await q.query(`
      CREATE FUNCTION audit_jws_payload(jws text) RETURNS jsonb
      LANGUAGE sql IMMUTABLE STRICT AS $$
        SELECT convert_from(decode(
          rpad(translate(split_part(jws, '.', 2), '-_', '+/'),
               ((length(split_part(jws, '.', 2)) + 3) / 4) * 4, '='),
          'base64'), 'UTF8')::jsonb
      $$`);
    await q.query(`
      CREATE FUNCTION audit_index_certificate(idx bigint, cert_id text, entry bytea)
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
    await q.query(`
      CREATE FUNCTION audit_entries_index_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM audit_index_certificate(NEW.leaf_index, NEW.certificate_id, NEW.data);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_entries_index AFTER INSERT ON audit_entries
      FOR EACH ROW WHEN (NEW.kind = 'certificate')
      EXECUTE FUNCTION audit_entries_index_certificate()`);
    await q.query(`
      SELECT audit_index_certificate(leaf_index, certificate_id, data)
        FROM audit_entries WHERE kind = 'certificate' ORDER BY leaf_index`);

    await q.query(`
      CREATE TRIGGER audit_certificates_append_only BEFORE UPDATE OR DELETE ON audit_certificates
      FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_certificates_no_truncate BEFORE TRUNCATE ON audit_certificates
      FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
    await q.query('REVOKE ALL ON audit_certificates FROM PUBLIC');
    await q.query('GRANT SELECT, INSERT ON audit_certificates TO lethe_audit_writer');

    await q.query(
      'CREATE INDEX gov_deletion_requests_view_received_idx ' +
        'ON gov_deletion_requests_view (received_at, request_id)',
    );
    await q.query(
      'CREATE INDEX gov_deletion_requests_view_source_received_idx ' +
        'ON gov_deletion_requests_view (source, received_at, request_id)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS gov_deletion_requests_view_source_received_idx');
    await q.query('DROP INDEX IF EXISTS gov_deletion_requests_view_received_idx');
    await q.query('DROP TRIGGER IF EXISTS audit_entries_index ON audit_entries');
    await q.query('DROP TABLE IF EXISTS audit_certificates');
    await q.query('DROP FUNCTION IF EXISTS audit_entries_index_certificate()');
    await q.query('DROP FUNCTION IF EXISTS audit_index_certificate(bigint, text, bytea)');
    await q.query('DROP FUNCTION IF EXISTS audit_jws_payload(text)');
  }
}
