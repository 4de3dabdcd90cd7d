import { AuditError, AuditErrorCode } from '../domain/audit.errors';
import {
  consistencyRanges,
  inclusionRanges,
  planRanges,
  type LeafRange,
  type NodeRef,
} from '../domain/merkle/merkle-nodes';
import type { AuditLogStore } from './ports/audit-log-store.port';

/**
 * Merkle proofs from the stored complete subtrees (docs/adr/0019-audit-merkle-nodes.md): each
 * proof is O(log n) node hashes read in one query by primary key, whatever the size of the log,
 * with no cache to fill or to trust. Callers verify what they serve against the signed
 * checkpoint root (a missing node is PROOF_INVALID here; a wrong one fails that verification).
 */
export class MerkleNodeIndex {
  constructor(private readonly store: AuditLogStore) {}

  /** The RFC 9162 §2.1.3.1 audit path of leaf `leafIndex` in the tree of size `treeSize`. */
  async inclusionProof(leafIndex: number, treeSize: number): Promise<Buffer[]> {
    if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) {
      throw new AuditError(
        AuditErrorCode.INVALID_PROOF_REQUEST,
        `no leaf ${leafIndex} in a tree of size ${treeSize}`,
        { leafIndex, treeSize },
      );
    }
    return this.hashesOf(inclusionRanges(leafIndex, treeSize), treeSize);
  }

  /**
   * The part of the audit path of every leaf of the node [from, to) that lies above it (the
   * export's batches: their own levels give the rest). [from, to) must be a node of the tree of
   * size `treeSize`: an aligned power-of-two range, or the one that ends at treeSize.
   */
  async pathAbove(from: number, to: number, treeSize: number): Promise<Buffer[]> {
    const plan = this.planAbove(from, to, treeSize);
    return plan.fold(await this.store.nodeHashes(plan.nodes));
  }

  /**
   * pathAbove in two steps, for a caller that reads the stored nodes itself (the export reads
   * them with its batch, on one connection): the nodes to read, then the path from their hashes.
   */
  planAbove(
    from: number,
    to: number,
    treeSize: number,
  ): { nodes: NodeRef[]; fold: (hashes: readonly (Buffer | undefined)[]) => Buffer[] } {
    const above = inclusionRanges(from, treeSize).filter(([lo, hi]) => lo < from || hi > to);
    const plan = planRanges(above);
    return { nodes: plan.nodes, fold: (hashes) => plan.fold(hashes, missingNode(treeSize)) };
  }

  /** The RFC 9162 §2.1.4.1 consistency proof from size `from` to size `to`. */
  async consistencyProof(from: number, to: number): Promise<Buffer[]> {
    return this.hashesOf(consistencyRanges(from, to), to);
  }

  private async hashesOf(ranges: readonly LeafRange[], treeSize: number): Promise<Buffer[]> {
    const plan = planRanges(ranges);
    const hashes = await this.store.nodeHashes(plan.nodes);
    return plan.fold(hashes, missingNode(treeSize));
  }
}

const missingNode =
  (treeSize: number) =>
  (ref: NodeRef): never => {
    throw new AuditError(
      AuditErrorCode.PROOF_INVALID,
      `the audit log lacks Merkle node (${ref.level}, ${ref.index}) of the tree of size ${treeSize}`,
      { level: ref.level, index: ref.index, treeSize },
    );
  };

export const MERKLE_NODE_INDEX = Symbol('MerkleNodeIndex');
