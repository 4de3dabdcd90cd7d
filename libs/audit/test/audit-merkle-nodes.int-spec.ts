import { createTestDatabase, type TestDatabase } from '@lethe/local-infra';
import { DataSource } from 'typeorm';
import { AuditMerkleNodes1796400000000 } from '../../../migrations/1796400000000-AuditMerkleNodes';
import {
  AppendCertificateCommand,
  AppendCertificateHandler,
  GetCertificateHandler,
  GetCertificateQuery,
  GetConsistencyProofHandler,
  GetConsistencyProofQuery,
  JoseAuditSigner,
  KeyRing,
  MerkleNodeIndex,
  PostgresAuditLogStore,
  generateEd25519,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  verifyLog,
} from '../src';
import { aNoOpCertificate } from '../src/testing/certificate.factory';

/**
 * The stored complete subtrees of the audit log's Merkle tree (migration
 * AuditMerkleNodes1796400000000, docs/adr/0019-audit-merkle-nodes.md) on a real PostgreSQL: the
 * database writes exactly the RFC 6962 nodes on every insert, the migration backfills them for
 * rows already there, and the table is append-only like the log.
 */
jest.setTimeout(120_000);
const T0 = new Date('2026-01-01T00:00:00Z');

describe('audit Merkle node table on PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let signer: JoseAuditSigner;
  let store: PostgresAuditLogStore;
  let append: AppendCertificateHandler;
  let lookup: GetCertificateHandler;
  let consistency: GetConsistencyProofHandler;

  beforeEach(async () => {
    db = await createTestDatabase('audit_nodes');
    dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 4, logging: false });
    await dataSource.initialize();
    const { privateKey, publicKey } = generateEd25519();
    signer = new JoseAuditSigner(
      KeyRing.of([{ kid: 'k1', notBefore: T0, notAfter: null, privateKey, publicKey }]),
    );
    store = new PostgresAuditLogStore(dataSource);
    const now = () => new Date('2026-03-01T00:00:00Z');
    append = new AppendCertificateHandler(store, signer, { origin: 'lethe.audit/test', now });
    lookup = new GetCertificateHandler(store, signer);
    consistency = new GetConsistencyProofHandler(store, signer, new MerkleNodeIndex(store));
  });

  afterEach(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const ids = (n: number) => Array.from({ length: n }, (_, i) => `cert-node-${i}`);
  async function appendMany(from: number, to: number): Promise<void> {
    for (const id of ids(to).slice(from)) {
      const jws = await signer.signCertificate(
        aNoOpCertificate({ certificateId: id, issuedAt: '2026-02-01T00:00:00Z' }),
      );
      await append.execute(new AppendCertificateCommand(jws));
    }
  }

  /** Every complete node of the leaves, computed here from the leaf hashes alone. */
  async function expectedNodes(): Promise<string[]> {
    let level = await store.leafHashes();
    const out: string[] = [];
    for (let L = 1; level.length > 1; L++) {
      const next: Buffer[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) {
        const node = nodeHash(level[i]!, level[i + 1]!);
        next.push(node);
        out.push(`${L}:${next.length - 1}:${node.toString('hex')}`);
      }
      level = next;
    }
    return out.sort();
  }
  const storedNodes = async (): Promise<string[]> =>
    (
      await dataSource.query<{ level: number; idx: string; hash: Buffer }[]>(
        'SELECT level, idx, hash FROM audit_merkle_nodes',
      )
    )
      .map((r) => `${r.level}:${r.idx}:${r.hash.toString('hex')}`)
      .sort();

  async function expectEveryProofVerifies(n: number): Promise<void> {
    const latest = await store.latestCheckpoint();
    expect(latest?.treeSize).toBe(n);
    for (const [m, id] of ids(n).entries()) {
      const view = await lookup.execute(new GetCertificateQuery(id));
      expect(view.inclusionProof.leafIndex).toBe(m);
      expect(() =>
        verifyInclusion(
          m,
          n,
          Buffer.from(view.inclusionProof.leafHash, 'hex'),
          view.inclusionProof.hashes.map((x) => Buffer.from(x, 'hex')),
          latest!.rootHash,
        ),
      ).not.toThrow();
    }
    for (const from of [1, 2, 5, n - 1]) {
      const proof = await consistency.execute(new GetConsistencyProofQuery(from, n));
      expect(() =>
        verifyConsistency(
          from,
          n,
          proof.hashes.map((x) => Buffer.from(x, 'hex')),
          Buffer.from(proof.fromCheckpoint!.rootHash, 'hex'),
          latest!.rootHash,
        ),
      ).not.toThrow();
    }
  }

  it('holds exactly the RFC 6962 complete subtrees after every append, and serves proofs from them', async () => {
    await appendMany(0, 1);
    expect(await storedNodes()).toEqual([]);
    await appendMany(1, 2);
    expect(await storedNodes()).toEqual(await expectedNodes());
    await appendMany(2, 19);
    const nodes = await storedNodes();
    expect(nodes).toEqual(await expectedNodes());
    // 19 leaves: 9 + 4 + 2 + 1 complete nodes above the leaves.
    expect(nodes).toHaveLength(16);
    await expectEveryProofVerifies(19);
    await expect(verifyLog(store, signer)).resolves.toMatchObject({ ok: true, entries: 19 });
  });

  it('the migration backfills the nodes of entries appended before it, and appends go on after it', async () => {
    await appendMany(0, 11);
    const runner = dataSource.createQueryRunner();
    try {
      const migration = new AuditMerkleNodes1796400000000();
      await migration.down(runner);
      // Entries appended while the table does not exist (directly: the service needs the table).
      const rows = await dataSource.query<{ n: string }[]>(
        'SELECT count(*) AS n FROM audit_entries',
      );
      expect(Number(rows[0]!.n)).toBe(11);
      await runner.startTransaction();
      await migration.up(runner);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect(await storedNodes()).toEqual(await expectedNodes());
    await expectEveryProofVerifies(11);
    await appendMany(11, 17);
    expect(await storedNodes()).toEqual(await expectedNodes());
    await expectEveryProofVerifies(17);
  });

  it('refuses UPDATE, DELETE and TRUNCATE for the owner (trigger) and for the service role, which cannot INSERT either', async () => {
    await appendMany(0, 4);
    const code = async (statement: string, asWriter: boolean): Promise<string | undefined> => {
      try {
        await dataSource.transaction(async (m) => {
          if (asWriter) await m.query('SET LOCAL ROLE lethe_audit_writer');
          await m.query(statement);
        });
        return undefined;
      } catch (e) {
        const err = e as { driverError?: { code?: string }; code?: string };
        return err.driverError?.code ?? err.code;
      }
    };
    for (const statement of [
      "UPDATE audit_merkle_nodes SET hash = '\\x00'::bytea || substring(hash from 2)",
      'DELETE FROM audit_merkle_nodes',
      'TRUNCATE audit_merkle_nodes',
    ]) {
      expect(await code(statement, false)).toBe('P0001');
      expect(await code(statement, true)).toBe('42501');
    }
    // Only the database's own trigger writes nodes: the service role cannot forge one.
    expect(
      await code(
        "INSERT INTO audit_merkle_nodes (level, idx, hash) VALUES (5, 0, sha256('x'::bytea))",
        true,
      ),
    ).toBe('42501');
    expect(await storedNodes()).toEqual(await expectedNodes());
    const grants = await dataSource.query<{ privilege_type: string }[]>(
      `SELECT privilege_type FROM information_schema.role_table_grants
        WHERE grantee = 'lethe_audit_writer' AND table_name = 'audit_merkle_nodes'`,
    );
    expect(grants.map((g) => g.privilege_type)).toEqual(['SELECT']);
  });

  it('refuses a proof it cannot build from stored nodes instead of serving a wrong one', async () => {
    await appendMany(0, 6);
    // A node removed around the triggers (as a superuser could): the lookup fails, coded.
    await dataSource.query('ALTER TABLE audit_merkle_nodes DISABLE TRIGGER USER');
    await dataSource.query('DELETE FROM audit_merkle_nodes WHERE level = 2 AND idx = 0');
    await expect(lookup.execute(new GetCertificateQuery('cert-node-5'))).rejects.toMatchObject({
      code: 'PROOF_INVALID',
      message: expect.stringMatching(/lacks a Merkle node of element 2 /) as unknown,
    });
    // The other leaves' paths do not use that node: they are still served.
    await expect(lookup.execute(new GetCertificateQuery('cert-node-1'))).resolves.toMatchObject({
      certificateId: 'cert-node-1',
    });
    // A node cut to 31 bytes (its length check dropped, as a superuser could): named as that
    // element, not read as a shifted path.
    await dataSource.query(
      'ALTER TABLE audit_merkle_nodes DROP CONSTRAINT audit_merkle_nodes_hash_check',
    );
    await dataSource.query(
      'UPDATE audit_merkle_nodes SET hash = substring(hash from 2) WHERE level = 1 AND idx = 0',
    );
    await expect(lookup.execute(new GetCertificateQuery('cert-node-3'))).rejects.toMatchObject({
      code: 'PROOF_INVALID',
      message: expect.stringMatching(/lacks a Merkle node of element 1 /) as unknown,
    });
    // A node rewritten: the proof no longer leads to the signed root, and is not served.
    await dataSource.query(
      "UPDATE audit_merkle_nodes SET hash = sha256('forged'::bytea) WHERE level = 1 AND idx = 2",
    );
    await expect(lookup.execute(new GetCertificateQuery('cert-node-0'))).rejects.toMatchObject({
      code: 'PROOF_INVALID',
    });
  });

  it('reads a lookup in one statement whose audit path is the one the node index builds, at every size and leaf', async () => {
    const nodes = new MerkleNodeIndex(store);
    for (let n = 1; n <= 23; n++) {
      await appendMany(n - 1, n);
      for (const [m, id] of ids(n).entries()) {
        const view = await lookup.execute(new GetCertificateQuery(id));
        expect(view.inclusionProof.treeSize).toBe(n);
        expect(view.inclusionProof.hashes).toEqual(
          (await nodes.inclusionProof(m, n)).map((h) => h.toString('hex')),
        );
      }
    }
  });

  it('serves a certificate only as the signed root covers it: leaf data rewritten in the row is refused', async () => {
    await appendMany(0, 6);
    const id = 'cert-node-3';
    const served = await lookup.execute(new GetCertificateQuery(id));
    const forged = await signer.signCertificate(
      aNoOpCertificate({ certificateId: id, issuedAt: '2026-02-02T00:00:00Z' }),
    );
    const rewrite = async (withLeafHash: boolean) => {
      await dataSource.query('ALTER TABLE audit_entries DISABLE TRIGGER USER');
      await dataSource.query(
        `UPDATE audit_entries SET data = convert_to(replace(convert_from(data, 'UTF8'), $2, $3), 'UTF8')
           ${withLeafHash ? ", leaf_hash = sha256('\\x00'::bytea || convert_to(replace(convert_from(data, 'UTF8'), $2, $3), 'UTF8'))" : ''}
         WHERE entry_key = $1`,
        [`certificate:${id}`, served.jws, forged],
      );
      await dataSource.query('ALTER TABLE audit_entries ENABLE TRIGGER USER');
    };
    // The table's CHECKs tie the leaf and chain hashes to the data; a superuser can drop them.
    await dataSource.query(
      'ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_leaf_hash_ck, DROP CONSTRAINT audit_entries_chain_hash_ck',
    );
    // A validly signed certificate with a consistent leaf hash: the proof misses the signed root.
    await rewrite(true);
    await expect(lookup.execute(new GetCertificateQuery(id))).rejects.toMatchObject({
      code: 'PROOF_INVALID',
    });
    // Back as it was, it is served again.
    await dataSource.query('ALTER TABLE audit_entries DISABLE TRIGGER USER');
    await dataSource.query(
      `UPDATE audit_entries SET data = convert_to(replace(convert_from(data, 'UTF8'), $2, $3), 'UTF8'),
              leaf_hash = sha256('\\x00'::bytea || convert_to(replace(convert_from(data, 'UTF8'), $2, $3), 'UTF8'))
        WHERE entry_key = $1`,
      [`certificate:${id}`, forged, served.jws],
    );
    await dataSource.query('ALTER TABLE audit_entries ENABLE TRIGGER USER');
    await expect(lookup.execute(new GetCertificateQuery(id))).resolves.toMatchObject({
      jws: served.jws,
    });
    // The bytes rewritten under the old leaf hash: the lookup recomputes it and refuses.
    await rewrite(false);
    await expect(lookup.execute(new GetCertificateQuery(id))).rejects.toMatchObject({
      code: 'PROOF_INVALID',
    });
    // The other entries still verify and are served.
    await expect(lookup.execute(new GetCertificateQuery('cert-node-2'))).resolves.toMatchObject({
      payload: { certificateId: 'cert-node-2' },
    });
  });

  it('checks the proof against the signed root, not the row’s: a rewritten checkpoint root is refused with the verified view cached', async () => {
    await appendMany(0, 7);
    const id = 'cert-node-5';
    // Warms the handler's verified view of the latest checkpoint.
    const served = await lookup.execute(new GetCertificateQuery(id));
    const { leafIndex, treeSize, hashes } = served.inclusionProof;
    const forged = await signer.signCertificate(
      aNoOpCertificate({ certificateId: id, issuedAt: '2026-02-03T00:00:00Z' }),
    );
    const forgedData = Buffer.from(
      Buffer.from(served.inclusionProof.leafData, 'hex')
        .toString('utf8')
        .replace(served.jws, forged),
    );
    // Rewrite the entry (with a consistent leaf hash) and the checkpoint row's root to the root the
    // forged leaf gives on the unchanged path; the checkpoint's JWS stays as signed.
    const forgedRoot = rootFromInclusionProof(
      leafIndex,
      treeSize,
      leafHash(forgedData),
      hashes.map((h) => Buffer.from(h, 'hex')),
    );
    await dataSource.query(
      'ALTER TABLE audit_entries DROP CONSTRAINT IF EXISTS audit_entries_leaf_hash_ck, DROP CONSTRAINT IF EXISTS audit_entries_chain_hash_ck',
    );
    for (const table of ['audit_entries', 'audit_checkpoints']) {
      await dataSource.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    }
    await dataSource.query(
      `UPDATE audit_entries SET data = $2, leaf_hash = $3 WHERE entry_key = $1`,
      [`certificate:${id}`, forgedData, leafHash(forgedData)],
    );
    await dataSource.query(`UPDATE audit_checkpoints SET root_hash = $2 WHERE tree_size = $1`, [
      treeSize,
      forgedRoot,
    ]);
    for (const table of ['audit_entries', 'audit_checkpoints']) {
      await dataSource.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    }
    await expect(lookup.execute(new GetCertificateQuery(id))).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });
});
