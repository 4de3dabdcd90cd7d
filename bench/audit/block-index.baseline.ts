import {
  AuditError,
  AuditErrorCode,
  blockCount,
  blockedInclusionProof,
  blockOf,
  MERKLE_BLOCK_SIZE,
  merkleLevels,
  rootOfLevels,
  type AuditLogStore,
} from '@lethe/audit';

/*
 * THE BASELINE, kept for bench/audit/export.bench.ts only: the in-memory block index the
 * certificate lookup and the export used before the stored subtree hashes
 * (docs/adr/0016-audit-export.md, superseded by docs/adr/0019-audit-merkle-nodes.md).
 */

/** How many blocks one read of leaf hashes covers when the cache is filled (64 Ki leaves, 2 MiB). */
const FILL_BLOCKS = 64;

/**
 * The hash of every Merkle block of the log (MERKLE_BLOCK_SIZE aligned leaves), so that an
 * inclusion proof costs one block of leaf hashes plus the small tree of block hashes instead of
 * every leaf (docs/adr/0016-audit-export.md). A complete block never changes (the log is
 * append-only), so its hash is kept in memory: 32 bytes per 1024 entries. The last, partial block
 * is read each time. Every tree is checked against the signed checkpoint root before it is used;
 * a mismatch empties the cache and refuses with PROOF_INVALID (nothing unverified is served).
 */
export class MerkleBlockIndex {
  private readonly complete = new Map<number, Buffer>();
  /** The last block tree built (lookups between two appends all use the same tree size). */
  private last: { treeSize: number; root: Buffer; tree: Buffer[][] } | null = null;

  constructor(
    private readonly store: AuditLogStore,
    readonly blockSize = MERKLE_BLOCK_SIZE,
  ) {}

  /** The levels of the tree whose leaves are the block hashes of the tree of size `treeSize`. */
  async blockTree(treeSize: number, signedRoot: Buffer): Promise<Buffer[][]> {
    const last = this.last;
    if (last && last.treeSize === treeSize && last.root.equals(signedRoot)) return last.tree;
    const blocks = blockCount(treeSize, this.blockSize);
    const fullBlocks = Math.floor(treeSize / this.blockSize);
    const hashes: Buffer[] = [];
    for (let b = 0; b < fullBlocks;) {
      const cached = this.complete.get(b);
      if (cached) {
        hashes.push(cached);
        b++;
        continue;
      }
      let end = b + 1;
      while (end < fullBlocks && end - b < FILL_BLOCKS && !this.complete.has(end)) end++;
      const leaves = await this.store.leafHashRange(b * this.blockSize, end * this.blockSize);
      if (leaves.length !== (end - b) * this.blockSize) this.corrupt(treeSize);
      for (let k = b; k < end; k++) {
        const from = (k - b) * this.blockSize;
        const hash = rootOfLevels(merkleLevels(leaves.slice(from, from + this.blockSize)));
        this.complete.set(k, hash);
        hashes.push(hash);
      }
      b = end;
    }
    if (blocks > fullBlocks) {
      const leaves = await this.store.leafHashRange(fullBlocks * this.blockSize, treeSize);
      if (leaves.length !== treeSize - fullBlocks * this.blockSize) this.corrupt(treeSize);
      hashes.push(rootOfLevels(merkleLevels(leaves)));
    }
    const tree = merkleLevels(hashes);
    if (!rootOfLevels(tree).equals(signedRoot)) this.corrupt(treeSize);
    this.last = { treeSize, root: Buffer.from(signedRoot), tree };
    return tree;
  }

  /** The levels of the block that holds `leafIndex`, in the tree of size `treeSize`. */
  async blockLevels(leafIndex: number, treeSize: number): Promise<Buffer[][]> {
    const from = blockOf(leafIndex, this.blockSize) * this.blockSize;
    return merkleLevels(
      await this.store.leafHashRange(from, Math.min(treeSize, from + this.blockSize)),
    );
  }

  /** The RFC 9162 inclusion proof of one leaf in the tree of size `treeSize` with signed root. */
  async inclusionProof(leafIndex: number, treeSize: number, signedRoot: Buffer): Promise<Buffer[]> {
    if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) {
      throw new AuditError(
        AuditErrorCode.INVALID_PROOF_REQUEST,
        `no leaf ${leafIndex} in a tree of size ${treeSize}`,
        { leafIndex, treeSize },
      );
    }
    const [tree, block] = await Promise.all([
      this.blockTree(treeSize, signedRoot),
      this.blockLevels(leafIndex, treeSize),
    ]);
    return blockedInclusionProof(block, tree, leafIndex, this.blockSize);
  }

  private corrupt(treeSize: number): never {
    this.complete.clear();
    this.last = null;
    throw new AuditError(
      AuditErrorCode.PROOF_INVALID,
      `the stored leaves do not give the signed root of the tree of size ${treeSize}`,
      { treeSize },
    );
  }
}
