import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The complete subtrees of the audit log's Merkle tree (libs/audit,
 * docs/adr/0019-audit-merkle-nodes.md), so that the root of the next checkpoint, an inclusion
 * proof and a consistency proof read O(log n) stored hashes instead of every leaf hash.
 *
 * - audit_merkle_nodes (level ≥ 1, idx, hash): the node covering leaves [idx·2^level,
 *   (idx+1)·2^level) = SHA-256(0x01 ‖ left child ‖ right child); level 0 is
 *   audit_entries.leaf_hash. A node is written once, when the leaf that completes it is
 *   inserted, and never changes.
 * - The database computes them itself: an AFTER INSERT trigger on audit_entries (SECURITY
 *   DEFINER, so lethe_audit_writer only reads the table) walks up from the new leaf while it
 *   completes a node (amortised 1, at most log2 n inserts per leaf). The backfill below builds the
 *   same nodes level by level for the rows already there.
 * - Append-only like the log: the same triggers refuse UPDATE, DELETE and TRUNCATE, and PUBLIC
 *   holds nothing; lethe_audit_writer holds SELECT only.
 */
export class AuditMerkleNodes1796400000000 implements MigrationInterface {
  name = 'AuditMerkleNodes1796400000000';

  async up(q: QueryRunner): Promise<void> {
    // No append may slip between the backfill and the trigger.
    await q.query('LOCK TABLE audit_entries IN SHARE ROW EXCLUSIVE MODE');
    await q.query(`
      CREATE TABLE audit_merkle_nodes (
        level smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        CONSTRAINT audit_merkle_nodes_pk PRIMARY KEY (level, idx)
      )`);

    // Backfill, level by level: node (L, i) from its children (L − 1, 2i) and (L − 1, 2i + 1).
    await q.query(`
      INSERT INTO audit_merkle_nodes (level, idx, hash)
      SELECT 1, r.leaf_index / 2, sha256('\\x01'::bytea || l.leaf_hash || r.leaf_hash)
        FROM audit_entries r JOIN audit_entries l ON l.leaf_index = r.leaf_index - 1
       WHERE r.leaf_index % 2 = 1`);
    await q.query(`
      DO $$
      DECLARE
        lvl smallint := 2;
        added bigint;
      BEGIN
        LOOP
          INSERT INTO audit_merkle_nodes (level, idx, hash)
          SELECT lvl, r.idx / 2, sha256('\\x01'::bytea || l.hash || r.hash)
            FROM audit_merkle_nodes r
            JOIN audit_merkle_nodes l ON l.level = lvl - 1 AND l.idx = r.idx - 1
           WHERE r.level = lvl - 1 AND r.idx % 2 = 1;
          GET DIAGNOSTICS added = ROW_COUNT;
          EXIT WHEN added = 0;
          lvl := lvl + 1;
        END LOOP;
      END $$`);

    // Each new leaf i completes node (L, i >> L) for every L while bit L − 1 of i is 1. The search
    // path is pinned to this schema with pg_temp last, so that no temporary table of the caller can
    // stand in for the node table inside this SECURITY DEFINER function.
    const [{ schema }] = (await q.query('SELECT current_schema() AS schema')) as [
      { schema: string },
    ];
    const searchPath = `"${schema.replace(/"/g, '""')}", pg_temp`;
    await q.query(`
      CREATE FUNCTION audit_entries_merkle_nodes() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${searchPath} AS $$
      DECLARE
        i bigint := NEW.leaf_index;
        lvl smallint := 0;
        node bytea := NEW.leaf_hash;
        sibling bytea;
      BEGIN
        WHILE ((i >> lvl) & 1) = 1 LOOP
          IF lvl = 0 THEN
            SELECT leaf_hash INTO sibling FROM audit_entries WHERE leaf_index = i - 1;
          ELSE
            SELECT hash INTO sibling FROM audit_merkle_nodes
             WHERE level = lvl AND idx = (i >> lvl) - 1;
          END IF;
          IF sibling IS NULL THEN
            RAISE EXCEPTION 'audit Merkle node (%, %) is missing', lvl, (i >> lvl) - 1
              USING ERRCODE = 'P0001';
          END IF;
          node := sha256('\\x01'::bytea || sibling || node);
          lvl := lvl + 1;
          INSERT INTO audit_merkle_nodes (level, idx, hash) VALUES (lvl, i >> lvl, node);
        END LOOP;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_entries_merkle_nodes AFTER INSERT ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_merkle_nodes()`);

    await q.query(`
      CREATE TRIGGER audit_merkle_nodes_append_only BEFORE UPDATE OR DELETE ON audit_merkle_nodes
      FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_merkle_nodes_no_truncate BEFORE TRUNCATE ON audit_merkle_nodes
      FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
    await q.query('REVOKE ALL ON audit_merkle_nodes FROM PUBLIC');
    await q.query('REVOKE ALL ON FUNCTION audit_entries_merkle_nodes() FROM PUBLIC');
    await q.query('GRANT SELECT ON audit_merkle_nodes TO lethe_audit_writer');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER IF EXISTS audit_entries_merkle_nodes ON audit_entries');
    await q.query('DROP FUNCTION IF EXISTS audit_entries_merkle_nodes()');
    await q.query('DROP TABLE IF EXISTS audit_merkle_nodes');
  }
}
