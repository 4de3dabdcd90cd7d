import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tamper-evident audit log (libs/audit, docs/adr/0008-audit-log.md).
 *
 * - audit_entries: one row per Merkle leaf (certificates, no-op / no-records outcomes), hash-chained:
 *   prev_hash is the previous row's chain_hash, chain_hash = SHA-256(prev_hash ‖ leaf_hash),
 *   leaf_hash = SHA-256(0x00 ‖ data). CHECK constraints recompute both hashes on every insert,
 *   and a trigger refuses a row that does not extend the chain.
 * - audit_checkpoints: the signed (JWS) tree head after each append.
 *
 * Append-only twice over: triggers refuse UPDATE, DELETE and TRUNCATE for everybody, and the role
 * the service appends as, lethe_audit_writer, holds only SELECT and INSERT. The role is
 * cluster-wide: created here when missing (needs CREATEROLE), or beforehand by a DBA; `down` leaves
 * it, as other databases of the cluster may use it.
 */
export class AuditLog1795702900000 implements MigrationInterface {
  name = 'AuditLog1795702900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_entries (
        leaf_index bigint PRIMARY KEY CHECK (leaf_index >= 0),
        entry_key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('certificate', 'outcome')),
        certificate_id text NULL,
        data bytea NOT NULL,
        leaf_hash bytea NOT NULL,
        prev_hash bytea NOT NULL,
        chain_hash bytea NOT NULL,
        appended_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT audit_entries_entry_key_uq UNIQUE (entry_key),
        CONSTRAINT audit_entries_certificate_id_uq UNIQUE (certificate_id),
        CONSTRAINT audit_entries_certificate_id_ck
          CHECK ((kind = 'certificate') = (certificate_id IS NOT NULL)),
        CONSTRAINT audit_entries_leaf_hash_ck CHECK (leaf_hash = sha256('\\x00'::bytea || data)),
        CONSTRAINT audit_entries_chain_hash_ck CHECK (chain_hash = sha256(prev_hash || leaf_hash))
      )`);
    await q.query(`
      CREATE TABLE audit_checkpoints (
        tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
        root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
        jws text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    // Every row extends the chain: index = previous + 1 and prev_hash = previous chain_hash.
    await q.query(`
      CREATE FUNCTION audit_entries_check_link() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        previous bytea;
      BEGIN
        IF NEW.leaf_index = 0 THEN
          previous := '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
        ELSE
          SELECT chain_hash INTO previous FROM audit_entries WHERE leaf_index = NEW.leaf_index - 1;
        END IF;
        IF previous IS NULL OR previous <> NEW.prev_hash THEN
          RAISE EXCEPTION 'audit entry % does not extend the hash chain', NEW.leaf_index
            USING ERRCODE = 'P0001';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_entries_link BEFORE INSERT ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_check_link()`);

    await q.query(`
      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit log is append-only (% on % refused)', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'P0001';
      END $$`);
    for (const table of ['audit_entries', 'audit_checkpoints']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
      await q.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
    }

    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lethe_audit_writer') THEN
          CREATE ROLE lethe_audit_writer NOLOGIN;
        END IF;
        IF NOT pg_has_role(current_user, 'lethe_audit_writer', 'MEMBER') THEN
          EXECUTE format('GRANT lethe_audit_writer TO %I', current_user);
        END IF;
      END $$`);
    await q.query('REVOKE ALL ON audit_entries, audit_checkpoints FROM PUBLIC');
    await q.query('GRANT SELECT, INSERT ON audit_entries, audit_checkpoints TO lethe_audit_writer');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS audit_checkpoints');
    await q.query('DROP TABLE IF EXISTS audit_entries');
    await q.query('DROP FUNCTION IF EXISTS audit_refuse_change()');
    await q.query('DROP FUNCTION IF EXISTS audit_entries_check_link()');
  }
}
