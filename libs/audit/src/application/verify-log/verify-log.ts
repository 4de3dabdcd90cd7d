import {
  chainHash,
  entryKey,
  GENESIS_CHAIN_HASH,
  type AuditEntry,
} from '../../domain/log/audit-entry';
import { leafHash, rootFromLeafHashes } from '../../domain/merkle/rfc6962';
import type { AuditLogStore } from '../ports/audit-log-store.port';
import type { AuditSigner } from '../ports/signing.port';

export interface LogProblem {
  /** Leaf index, or checkpoint tree size for checkpoint problems. */
  readonly at: number;
  readonly what: 'entry' | 'checkpoint';
  readonly problem: string;
}

export interface LogVerification {
  readonly ok: boolean;
  readonly entries: number;
  /** Tree size of the newest checkpoint that verified, with everything it covers. */
  readonly verifiedTreeSize: number;
  readonly problems: readonly LogProblem[];
}

/**
 * Recomputes the whole log from its leaf data and checks it against the signed checkpoints:
 * - each entry: contiguous index, leaf hash = SHA-256(0x00 ‖ data), prev_hash = previous chain
 *   hash, chain hash = SHA-256(prev ‖ leaf), its columns match its data, a certificate's JWS
 *   verifies against the JWKS;
 * - each checkpoint: its JWS verifies (kid, window), and its root and chain head equal what the
 *   recomputed leaves give for its size; the newest checkpoint covers every entry;
 * - `trusted` (a checkpoint JWS an auditor kept from before) must match the recomputed log too.
 * A row changed behind the database's back (triggers disabled) breaks at least one of these,
 * since the checkpoints are signed with a key the database does not hold.
 */
export async function verifyLog(
  store: AuditLogStore,
  signer: AuditSigner,
  trusted: readonly string[] = [],
): Promise<LogVerification> {
  const problems: LogProblem[] = [];
  const entries = await store.entries();
  const leaves: Buffer[] = [];
  const chain: Buffer[] = [];
  let previous: Buffer = GENESIS_CHAIN_HASH;
  for (const [i, e] of entries.entries()) {
    const bad = (problem: string) => problems.push({ at: e.index, what: 'entry', problem });
    if (e.index !== i) bad(`index ${e.index} where ${i} was expected (a gap or a reordering)`);
    const leaf = leafHash(e.data);
    if (!leaf.equals(e.leafHash)) bad('stored leaf hash differs from SHA-256(0x00 ‖ data)');
    if (!e.prevHash.equals(previous)) bad('prev_hash is not the previous entry’s chain hash');
    const link = chainHash(previous, leaf);
    if (!link.equals(e.chainHash)) bad('chain hash differs from SHA-256(prev ‖ leaf)');
    leaves.push(leaf);
    chain.push(link);
    previous = link;
    let parsed: AuditEntry | null = null;
    try {
      parsed = JSON.parse(e.data.toString('utf8')) as AuditEntry;
    } catch {
      bad('leaf data is not JSON');
    }
    if (parsed) {
      if (entryKey(parsed) !== e.entryKey) bad('entry key column differs from the leaf data');
      if (parsed.kind === 'certificate') {
        if (parsed.certificateId !== e.certificateId)
          bad('certificate id column differs from the leaf data');
        try {
          const verified = await signer.verifyCertificate(parsed.jws);
          if (verified.payload.certificateId !== parsed.certificateId) {
            bad('the signed certificate has another id');
          }
        } catch (err) {
          bad(`certificate does not verify: ${(err as Error).message}`);
        }
      }
    }
  }

  let verifiedTreeSize = 0;
  const checkCheckpoint = async (jws: string, at: number, label: string) => {
    const bad = (problem: string) => {
      problems.push({ at, what: 'checkpoint', problem: `${label}: ${problem}` });
      return undefined;
    };
    try {
      const { body } = await signer.verifyCheckpoint(jws);
      if (body.treeSize > leaves.length)
        return bad(`covers ${body.treeSize} entries, the log has ${leaves.length}`);
      const root = rootFromLeafHashes(leaves.slice(0, body.treeSize)).toString('hex');
      if (root !== body.rootHash) return bad('signed root differs from the recomputed Merkle root');
      const head = (
        body.treeSize === 0 ? GENESIS_CHAIN_HASH : (chain[body.treeSize - 1] as Buffer)
      ).toString('hex');
      if (head !== body.chainHead)
        return bad('signed chain head differs from the recomputed chain');
      verifiedTreeSize = Math.max(verifiedTreeSize, body.treeSize);
      return body;
    } catch (err) {
      return bad(`does not verify: ${(err as Error).message}`);
    }
  };
  const checkpoints = await store.checkpoints();
  for (const cp of checkpoints) {
    const body = await checkCheckpoint(cp.jws, cp.treeSize, `checkpoint ${cp.treeSize}`);
    if (body && (body.treeSize !== cp.treeSize || body.rootHash !== cp.rootHash.toString('hex'))) {
      problems.push({
        at: cp.treeSize,
        what: 'checkpoint',
        problem: 'row columns differ from the signed body',
      });
    }
  }
  for (const jws of trusted) await checkCheckpoint(jws, -1, 'trusted checkpoint');
  const newest = checkpoints.at(-1)?.treeSize ?? 0;
  if (newest !== entries.length) {
    problems.push({
      at: newest,
      what: 'checkpoint',
      problem: `the newest checkpoint covers ${newest} entries, the log holds ${entries.length}`,
    });
  }
  return { ok: problems.length === 0, entries: entries.length, verifiedTreeSize, problems };
}
