import { createTestDatabase, type TestDatabase } from '@lethe/local-infra';
import { compactVerify, createLocalJWKSet } from 'jose';
import { DataSource } from 'typeorm';
import {
  AppendCertificateCommand,
  AppendCertificateHandler,
  AppendOutcomeCommand,
  AppendOutcomeHandler,
  GetCertificateHandler,
  GetCertificateQuery,
  GetCheckpointHandler,
  GetConsistencyProofHandler,
  GetConsistencyProofQuery,
  JoseAuditSigner,
  KeyRing,
  MerkleNodeIndex,
  PostgresAuditLogStore,
  generateEd25519,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
  verifyLog,
  type AuditLogOptions,
  type CertificatePayload,
} from '../src';
import {
  aCertifiedCertificate,
  aNoOpCertificate,
  anExactCertificate,
  subjectRefFor,
} from '../src/testing/certificate.factory';

/**
 * The audit log on a real PostgreSQL (fresh database per file, cloned from the migrated template):
 * append-only enforcement by trigger and by privileges, exactly-once appends under concurrency,
 * proofs against signed checkpoints, tamper detection, and key rotation.
 */
const h = (hex: string): Buffer => Buffer.from(hex, 'hex');
const T0 = new Date('2026-01-01T00:00:00Z');

interface Harness {
  store: PostgresAuditLogStore;
  signer: JoseAuditSigner;
  appendCertificate: AppendCertificateHandler;
  appendOutcome: AppendOutcomeHandler;
  getCertificate: GetCertificateHandler;
  getCheckpoint: GetCheckpointHandler;
  getConsistency: GetConsistencyProofHandler;
}

function harness(dataSource: DataSource, clock: () => Date): Harness {
  const { privateKey, publicKey } = generateEd25519();
  const signer = new JoseAuditSigner(
    KeyRing.of([{ kid: 'k1', notBefore: T0, notAfter: null, privateKey, publicKey }]),
  );
  const store = new PostgresAuditLogStore(dataSource);
  const options: AuditLogOptions = { origin: 'lethe.audit/test', now: clock };
  return {
    store,
    signer,
    appendCertificate: new AppendCertificateHandler(store, signer, options),
    appendOutcome: new AppendOutcomeHandler(store, signer, options),
    getCertificate: new GetCertificateHandler(store, signer),
    getCheckpoint: new GetCheckpointHandler(store, signer),
    getConsistency: new GetConsistencyProofHandler(store, signer, new MerkleNodeIndex(store)),
  };
}

async function pgCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (e) {
    const err = e as { driverError?: { code?: string }; code?: string };
    return err.driverError?.code ?? err.code;
  }
  return 'no error';
}

describe('audit log on PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let now = new Date('2026-03-01T00:00:00Z');
  let t: Harness;

  beforeEach(async () => {
    db = await createTestDatabase('audit');
    dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 12, logging: false });
    await dataSource.initialize();
    now = new Date('2026-03-01T00:00:00Z');
    t = harness(dataSource, () => now);
  });

  afterEach(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const count = async (table: string) =>
    Number((await dataSource.query<[{ n: string }]>(`SELECT count(*) AS n FROM ${table}`))[0].n);

  async function appendSigned(...certs: CertificatePayload[]) {
    const out = [];
    for (const c of certs) {
      out.push(
        await t.appendCertificate.execute(
          new AppendCertificateCommand(await t.signer.signCertificate(c)),
        ),
      );
    }
    return out;
  }

  it('appends certificates and outcomes, and proves inclusion and consistency against signed checkpoints', async () => {
    const certs = [aCertifiedCertificate(), anExactCertificate(), aNoOpCertificate()];
    const results = await appendSigned(...certs);
    expect(results.map((r) => [r.leafIndex, r.created])).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ]);
    const outcome = await t.appendOutcome.execute(
      new AppendOutcomeCommand('req-9', 'no-records', ['req-9'], [subjectRefFor('user-9')], now),
    );
    expect(outcome).toEqual({ outcomeId: 'req-9', leafIndex: 3, created: true });

    const checkpoint = await t.getCheckpoint.execute();
    expect(checkpoint).toMatchObject({
      treeSize: 4,
      kid: 'k1',
      body: { origin: 'lethe.audit/test', treeSize: 4 },
    });
    // The checkpoint JWS verifies with jose alone against the published JWKS.
    const jwks = createLocalJWKSet(
      JSON.parse(JSON.stringify(t.signer.jwks())) as Parameters<typeof createLocalJWKSet>[0],
    );
    await expect(compactVerify(checkpoint.jws, jwks)).resolves.toBeDefined();

    const view = await t.getCertificate.execute(
      new GetCertificateQuery(certs[1]?.certificateId as string),
    );
    expect(view.payload).toEqual(certs[1]);
    const { payload } = await compactVerify(view.jws, jwks);
    expect(JSON.parse(Buffer.from(payload).toString())).toEqual(certs[1]);
    // An auditor recomputes the leaf from the served leaf data and checks the path to the signed root.
    const leaf = leafHash(h(view.inclusionProof.leafData));
    expect(leaf.toString('hex')).toBe(view.inclusionProof.leafHash);
    expect(() =>
      verifyInclusion(1, 4, leaf, view.inclusionProof.hashes.map(h), h(checkpoint.rootHash)),
    ).not.toThrow();

    for (const [from, to] of [
      [0, 4],
      [1, 4],
      [2, 3],
      [3, 4],
      [4, 4],
    ] as const) {
      const proof = await t.getConsistency.execute(new GetConsistencyProofQuery(from, to));
      const firstRoot = proof.fromCheckpoint ? h(proof.fromCheckpoint.rootHash) : Buffer.alloc(0);
      expect(() =>
        verifyConsistency(
          from,
          to,
          proof.hashes.map(h),
          from === 0 ? firstRoot : firstRoot,
          h(proof.toCheckpoint.rootHash),
        ),
      ).not.toThrow();
    }
    await expect(
      t.getConsistency.execute(new GetConsistencyProofQuery(2, 5)),
    ).rejects.toMatchObject({
      code: 'INVALID_PROOF_REQUEST',
    });
    await expect(
      t.getCertificate.execute(new GetCertificateQuery('cert-nope')),
    ).rejects.toMatchObject({
      code: 'CERTIFICATE_NOT_FOUND',
    });
    await expect(verifyLog(t.store, t.signer)).resolves.toMatchObject({
      ok: true,
      entries: 4,
      verifiedTreeSize: 4,
    });
  });

  it('appends exactly once per certificate id, also when many appenders race', async () => {
    const cert = aCertifiedCertificate();
    const jws = await t.signer.signCertificate(cert);
    const distinct = await Promise.all(
      Array.from({ length: 12 }, () => anExactCertificate()).map((c) =>
        t.signer.signCertificate(c),
      ),
    );
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () =>
        t.appendCertificate.execute(new AppendCertificateCommand(jws)),
      ),
      ...distinct.map((d) => t.appendCertificate.execute(new AppendCertificateCommand(d))),
    ]);
    expect(results.filter((r) => r.certificateId === cert.certificateId && r.created)).toHaveLength(
      1,
    );
    expect(
      new Set(results.filter((r) => r.certificateId === cert.certificateId).map((r) => r.leafIndex))
        .size,
    ).toBe(1);
    expect(await count('audit_entries')).toBe(13);
    expect(await count('audit_checkpoints')).toBe(13);
    const indexes = (
      await dataSource.query<{ leaf_index: string }[]>(
        'SELECT leaf_index FROM audit_entries ORDER BY leaf_index',
      )
    ).map((r) => Number(r.leaf_index));
    expect(indexes).toEqual(Array.from({ length: 13 }, (_, i) => i));
    await expect(verifyLog(t.store, t.signer)).resolves.toMatchObject({ ok: true, entries: 13 });

    // The same id with another signed content is a conflict, never a second entry.
    const other = await t.signer.signCertificate({ ...cert, requestIds: ['req-other'] });
    await expect(
      t.appendCertificate.execute(new AppendCertificateCommand(other)),
    ).rejects.toMatchObject({
      code: 'AUDIT_ENTRY_CONFLICT',
    });
    expect(await count('audit_entries')).toBe(13);
  });

  it('refuses a JWS that does not verify and changes nothing', async () => {
    await appendSigned(aNoOpCertificate());
    const foreign = new JoseAuditSigner(
      KeyRing.of([{ kid: 'k1', notBefore: T0, notAfter: null, ...generateEd25519() }]),
    );
    const forged = await foreign.signCertificate(aNoOpCertificate());
    await expect(
      t.appendCertificate.execute(new AppendCertificateCommand(forged)),
    ).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    await expect(
      t.appendCertificate.execute(new AppendCertificateCommand('not.a.jws')),
    ).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    await expect(
      t.appendOutcome.execute(
        new AppendOutcomeCommand('req-1', 'no-records', ['req-1'], ['user-42'], now),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_CERTIFICATE' });
    expect(await count('audit_entries')).toBe(1);
    expect(await count('audit_checkpoints')).toBe(1);
  });

  describe('append-only enforcement', () => {
    beforeEach(async () => {
      await appendSigned(aCertifiedCertificate(), anExactCertificate());
    });

    it.each(['audit_entries', 'audit_checkpoints', 'audit_certificates'])(
      '%s: UPDATE, DELETE and TRUNCATE fail for the owner (trigger) and for the service role (privileges)',
      async (table) => {
        const column = { audit_entries: 'entry_key', audit_certificates: 'method' }[table] ?? 'jws';
        const statements = [
          `UPDATE ${table} SET ${column} = 'x'`,
          `DELETE FROM ${table}`,
          // CASCADE: audit_certificates references audit_entries, and a plain TRUNCATE of a
          // referenced table stops at the foreign key before any trigger runs.
          `TRUNCATE ${table} CASCADE`,
        ];
        for (const statement of statements) {
          // As the owner (a superuser here): the trigger refuses.
          expect(await pgCode(dataSource.query(statement))).toBe('P0001');
          // As the role appends run under: refused before any trigger, by privileges.
          expect(
            await pgCode(
              dataSource.transaction(async (m) => {
                await m.query('SET LOCAL ROLE lethe_audit_writer');
                await m.query(statement);
              }),
            ),
          ).toBe('42501');
        }
        expect(await count(table)).toBe(2);
        const grants = await dataSource.query<{ privilege_type: string }[]>(
          `SELECT privilege_type FROM information_schema.role_table_grants
            WHERE grantee = 'lethe_audit_writer' AND table_name = $1 ORDER BY privilege_type`,
          [table],
        );
        expect(grants.map((g) => g.privilege_type)).toEqual(['INSERT', 'SELECT']);
      },
    );

    it('refuses an inserted row that does not extend the chain', async () => {
      // A well-formed row (hashes consistent with its data) whose prev_hash skips the real head.
      const data = Buffer.from('{}');
      const leaf = leafHash(data);
      const prev = Buffer.alloc(32);
      const { createHash } = await import('node:crypto');
      const chain = createHash('sha256').update(prev).update(leaf).digest();
      const code = await pgCode(
        dataSource.query(
          `INSERT INTO audit_entries (leaf_index, entry_key, kind, data, leaf_hash, prev_hash, chain_hash)
           VALUES (2, 'outcome:x', 'outcome', $1, $2, $3, $4)`,
          [data, leaf, prev, chain],
        ),
      );
      expect(code).toBe('P0001');
      // The same row on the real head is accepted: the trigger refuses forks, not appends.
      const [head] = await dataSource.query<{ chain_hash: Buffer }[]>(
        'SELECT chain_hash FROM audit_entries WHERE leaf_index = 1',
      );
      const realChain = createHash('sha256').update(head!.chain_hash).update(leaf).digest();
      await dataSource.query(
        `INSERT INTO audit_entries (leaf_index, entry_key, kind, data, leaf_hash, prev_hash, chain_hash)
         VALUES (2, 'outcome:x', 'outcome', $1, $2, $3, $4)`,
        [data, leaf, head!.chain_hash, realChain],
      );
      expect(await count('audit_entries')).toBe(3);
    });
  });

  describe('tamper detection (rows changed with the triggers disabled, as a superuser could)', () => {
    const rewriteFrom = async (index: number, newData: (old: Buffer) => Buffer) => {
      // Recompute leaf and chain hashes consistently from `index` on: only the signed checkpoints
      // can tell.
      await dataSource.query('ALTER TABLE audit_entries DISABLE TRIGGER USER');
      const rows = await dataSource.query<
        { leaf_index: string; data: Buffer; prev_hash: Buffer }[]
      >(
        'SELECT leaf_index, data, prev_hash FROM audit_entries WHERE leaf_index >= $1 ORDER BY leaf_index',
        [index],
      );
      let prev = rows[0]?.prev_hash as Buffer;
      for (const [i, row] of rows.entries()) {
        const data = i === 0 ? newData(row.data) : row.data;
        const leaf = leafHash(data);
        const { createHash } = await import('node:crypto');
        const chain = createHash('sha256').update(prev).update(leaf).digest();
        await dataSource.query(
          'UPDATE audit_entries SET data = $2, leaf_hash = $3, prev_hash = $4, chain_hash = $5 WHERE leaf_index = $1',
          [row.leaf_index, data, leaf, prev, chain],
        );
        prev = chain;
      }
      await dataSource.query('ALTER TABLE audit_entries ENABLE TRIGGER USER');
    };

    beforeEach(async () => {
      await appendSigned(aCertifiedCertificate(), anExactCertificate(), aNoOpCertificate());
      await t.appendOutcome.execute(
        new AppendOutcomeCommand('req-9', 'no-records', ['req-9'], [subjectRefFor('user-9')], now),
      );
      await expect(verifyLog(t.store, t.signer)).resolves.toMatchObject({ ok: true });
    });

    it('detects one rewritten row (consistent hashes in that row) by the chain and the signed roots', async () => {
      await rewriteFrom(3, (old) =>
        Buffer.from(old.toString('utf8').replace('no-records', 'no-op')),
      );
      const report = await verifyLog(t.store, t.signer);
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            what: 'checkpoint',
            at: 4,
            problem: expect.stringContaining('Merkle root'),
          }),
        ]),
      );
      expect(report.verifiedTreeSize).toBe(3);
    });

    it('detects a swapped certificate in the middle even when the whole chain after it is recomputed', async () => {
      const replacement = await t.signer.signCertificate(anExactCertificate());
      await rewriteFrom(1, (old) => {
        const entry = JSON.parse(old.toString('utf8')) as { jws: string };
        return Buffer.from(old.toString('utf8').replace(entry.jws, replacement));
      });
      const report = await verifyLog(t.store, t.signer);
      expect(report.ok).toBe(false);
      const messages = report.problems.map((p) => `${p.what}@${p.at}: ${p.problem}`).join('\n');
      expect(messages).toContain('entry@1: the signed certificate has another id');
      expect(messages).toContain('checkpoint@2');
      expect(messages).toContain('checkpoint@4');
      expect(report.verifiedTreeSize).toBe(1);
    });

    it('detects a truncated tail (last entry and checkpoint deleted) against a checkpoint the auditor kept', async () => {
      const kept = (await t.getCheckpoint.execute()).jws;
      for (const table of ['audit_entries', 'audit_checkpoints']) {
        await dataSource.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
      }
      await dataSource.query('DELETE FROM audit_entries WHERE leaf_index = 3');
      await dataSource.query('DELETE FROM audit_checkpoints WHERE tree_size = 4');
      for (const table of ['audit_entries', 'audit_checkpoints']) {
        await dataSource.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
      }
      // Self-consistent without outside knowledge…
      await expect(verifyLog(t.store, t.signer)).resolves.toMatchObject({ ok: true, entries: 3 });
      // …but not with the checkpoint an auditor saved before.
      const report = await verifyLog(t.store, t.signer, [kept]);
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([
        expect.objectContaining({
          problem: expect.stringContaining('covers 4 entries, the log has 3'),
        }),
      ]);
    });

    it('detects a forged checkpoint row (root replaced without the key)', async () => {
      await dataSource.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
      await dataSource.query('UPDATE audit_checkpoints SET root_hash = $1 WHERE tree_size = 4', [
        nodeHash(Buffer.alloc(32), Buffer.alloc(32)),
      ]);
      await dataSource.query('ALTER TABLE audit_checkpoints ENABLE TRIGGER USER');
      const report = await verifyLog(t.store, t.signer);
      expect(report.problems).toEqual([
        expect.objectContaining({ at: 4, problem: 'row columns differ from the signed body' }),
      ]);
      await expect(t.getCheckpoint.execute()).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    });
  });

  it('after a key rotation, certificates and checkpoints signed by the old key still verify', async () => {
    const old = aCertifiedCertificate({ issuedAt: '2026-02-01T00:00:00Z' });
    await appendSigned(old);
    const rotation = new Date('2026-04-01T00:00:00Z');
    t.signer.rotate({ kid: 'k2', privateKey: generateEd25519().privateKey }, rotation);
    now = new Date('2026-05-01T00:00:00Z');
    const fresh = anExactCertificate({ issuedAt: '2026-05-01T00:00:00Z' });
    await appendSigned(fresh);

    expect(t.signer.jwks().keys.map((k) => [k.kid, k.notAfter])).toEqual([
      ['k1', rotation.toISOString()],
      ['k2', null],
    ]);
    await expect(
      t.getCertificate.execute(new GetCertificateQuery(old.certificateId)),
    ).resolves.toMatchObject({
      kid: 'k1',
      checkpoint: { kid: 'k2', treeSize: 2 },
    });
    await expect(
      t.getCertificate.execute(new GetCertificateQuery(fresh.certificateId)),
    ).resolves.toMatchObject({
      kid: 'k2',
    });
    // Checkpoint 1 was signed by k1 before the rotation, checkpoint 2 by k2: the whole log verifies.
    await expect(verifyLog(t.store, t.signer)).resolves.toMatchObject({
      ok: true,
      verifiedTreeSize: 2,
    });
    // And an appender can still append an old, k1-signed certificate issued in k1's window.
    const late = await t.appendCertificate.execute(
      new AppendCertificateCommand(
        await (async () => {
          const k1Only = new JoseAuditSigner(t.signer.keyRing());
          return k1Only.verifyCertificate(
            (await t.getCertificate.execute(new GetCertificateQuery(old.certificateId))).jws,
          );
        })().then((v) => v.jws),
      ),
    );
    expect(late).toMatchObject({ created: false, kid: 'k1' });
  });
});
