import { createHash, sign, type KeyObject } from 'node:crypto';
import { canonicalJson } from '@lethe/shared/domain';
import {
  AUDIT_ENTRY_SCHEMA,
  CERTIFICATE_JWS_TYPE,
  CHECKPOINT_SCHEMA,
  GENESIS_CHAIN_HASH,
  chainHash,
  leafHash,
  nodeHash,
  type JoseAuditSigner,
} from '@lethe/audit';
import { aNoOpCertificate } from '@lethe/audit/testing/certificate.factory';
import type { DataSource } from 'typeorm';

/**
 * Seeds the audit log with valid entries fast, for the benchmarks: real Ed25519 JWS certificates
 * (node:crypto signs the same bytes jose would: EdDSA is deterministic), real leaf data, leaf
 * hashes, chain hashes and Merkle root, inserted in batches through `unnest` (the table's CHECK
 * constraints and link trigger still run on every row), and one signed checkpoint at the end.
 * What it skips is the service's append path (one transaction, one root and one checkpoint per
 * entry), which would take hours at 10^6. Memory: one batch plus O(log n) subtree roots.
 */
export interface SeedState {
  size: number;
  chainHead: Buffer;
  /** Perfect subtree roots, left to right, with their sizes (the RFC 6962 tree's frontier). */
  frontier: { size: number; hash: Buffer }[];
}

export const emptySeedState = (): SeedState => ({
  size: 0,
  chainHead: GENESIS_CHAIN_HASH,
  frontier: [],
});

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** RFC 6962 root from the frontier: node(P1, node(P2, … node(Pk−1, Pk))). */
export function frontierRoot(frontier: SeedState['frontier']): Buffer {
  let root = frontier[frontier.length - 1]?.hash ?? createHash('sha256').digest();
  for (let i = frontier.length - 2; i >= 0; i--) root = nodeHash(frontier[i]!.hash, root);
  return root;
}

export async function seedLog(
  dataSource: DataSource,
  state: SeedState,
  target: number,
  key: { kid: string; privateKey: KeyObject },
  signer: JoseAuditSigner,
  appendedAt: (index: number) => Date,
  onBatch?: (size: number) => void,
): Promise<void> {
  const BATCH = 4000;
  const template = canonicalJson(
    aNoOpCertificate({ certificateId: 'cert-00000000000', issuedAt: '2026-11-29T12:00:00Z' }),
  );
  const header = b64(JSON.stringify({ alg: 'EdDSA', kid: key.kid, typ: CERTIFICATE_JWS_TYPE }));
  while (state.size < target) {
    const n = Math.min(BATCH, target - state.size);
    const cols = {
      index: [] as string[],
      key: [] as string[],
      id: [] as string[],
      data: [] as Buffer[],
      leaf: [] as Buffer[],
      prev: [] as Buffer[],
      chain: [] as Buffer[],
      at: [] as string[],
    };
    for (let k = 0; k < n; k++) {
      const i = state.size;
      const id = `cert-${String(i).padStart(11, '0')}`;
      const payload = template.replace('cert-00000000000', id);
      const input = `${header}.${b64(payload)}`;
      const jws = `${input}.${b64(sign(null, Buffer.from(input), key.privateKey))}`;
      const data = Buffer.from(
        `{"certificateId":${JSON.stringify(id)},"jws":${JSON.stringify(jws)},"kind":"certificate","schema":${JSON.stringify(AUDIT_ENTRY_SCHEMA)}}`,
      );
      const leaf = leafHash(data);
      const link = chainHash(state.chainHead, leaf);
      cols.index.push(String(i));
      cols.key.push(`certificate:${id}`);
      cols.id.push(id);
      cols.data.push(data);
      cols.leaf.push(leaf);
      cols.prev.push(state.chainHead);
      cols.chain.push(link);
      cols.at.push(appendedAt(i).toISOString());
      state.chainHead = link;
      state.size++;
      state.frontier.push({ size: 1, hash: leaf });
      for (;;) {
        const [a, b] = state.frontier.slice(-2);
        if (!a || !b || a.size !== b.size) break;
        state.frontier.splice(-2, 2, { size: a.size * 2, hash: nodeHash(a.hash, b.hash) });
      }
    }
    await dataSource.query(
      `INSERT INTO audit_entries
         (leaf_index, entry_key, kind, certificate_id, data, leaf_hash, prev_hash, chain_hash, appended_at)
       SELECT i, k, 'certificate', c, d, l, p, h, t
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[],
                     $7::bytea[], $8::timestamptz[]) AS u(i, k, c, d, l, p, h, t)
        ORDER BY i`,
      [cols.index, cols.key, cols.id, cols.data, cols.leaf, cols.prev, cols.chain, cols.at],
    );
    onBatch?.(state.size);
  }
  const body = {
    schema: CHECKPOINT_SCHEMA,
    origin: 'lethe.audit/bench',
    treeSize: state.size,
    rootHash: frontierRoot(state.frontier).toString('hex'),
    chainHead: state.chainHead.toString('hex'),
    issuedAt: new Date().toISOString(),
  } as const;
  // A reused database (export.bench.ts --database) may hold the target already, signed or not (a
  // seeding run stopped between batches): one checkpoint per tree size.
  await dataSource.query(
    `INSERT INTO audit_checkpoints (tree_size, root_hash, jws) VALUES ($1, $2, $3)
     ON CONFLICT (tree_size) DO NOTHING`,
    [state.size, Buffer.from(body.rootHash, 'hex'), await signer.signCheckpoint(body)],
  );
}
