import { AuditError, AuditErrorCode } from '../audit.errors';
import { emptyRoot, nodeHash } from './rfc6962';

/**
 * The RFC 6962 / RFC 9162 §2.1 tree built level by level: level 0 holds the leaf hashes, each
 * level above pairs neighbours, and a lone node at the right end is carried up unchanged. This is
 * the same tree as the RFC's recursive split at the largest power of two below n (every node of
 * the RFC tree is an aligned power-of-two range or a range that ends at n), so the root and the
 * audit paths are the RFC's, byte for byte (merkle-levels.spec.ts checks it against rfc6962.ts).
 *
 * It lets the log prove inclusion without holding every leaf: the log is cut into aligned blocks
 * of MERKLE_BLOCK_SIZE leaves; every block (the last one possibly partial) is a node of the tree
 * of size n, so a leaf's audit path is its path inside its block followed by the block's path in
 * the small tree whose leaves are the block hashes (docs/adr/0016-audit-export.md).
 */
export const MERKLE_BLOCK_SIZE = 1024;

/** levels[0] = leaves, levels[levels.length − 1] = [root] (or [] for no leaves). */
export function merkleLevels(leaves: readonly Uint8Array[]): Buffer[][] {
  const levels: Buffer[][] = [leaves.map((l) => Buffer.from(l.buffer, l.byteOffset, l.length))];
  let current = levels[0] as Buffer[];
  while (current.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < current.length; i += 2) {
      const left = current[i] as Buffer;
      const right = current[i + 1];
      next.push(right === undefined ? left : nodeHash(left, right));
    }
    levels.push(next);
    current = next;
  }
  return levels;
}

/** The root of the levels (SHA-256 of nothing for the empty tree). */
export function rootOfLevels(levels: readonly (readonly Buffer[])[]): Buffer {
  const top = levels[levels.length - 1];
  return top?.length === 1 ? (top[0] as Buffer) : emptyRoot();
}

/** The audit path (bottom up) of leaf `index` in the tree given by its levels. */
export function pathFromLevels(levels: readonly (readonly Buffer[])[], index: number): Buffer[] {
  const width = levels[0]?.length ?? 0;
  if (!Number.isSafeInteger(index) || index < 0 || index >= width) {
    throw new AuditError(
      AuditErrorCode.INVALID_PROOF_REQUEST,
      `no leaf ${index} in a tree of ${width}`,
      { index, width },
    );
  }
  const path: Buffer[] = [];
  let i = index;
  for (let level = 0; level < levels.length - 1; level++) {
    const nodes = levels[level] as readonly Buffer[];
    const sibling = nodes[i ^ 1];
    // No sibling: the node is the lone right end of its level and is carried up unchanged.
    if (sibling !== undefined) path.push(sibling);
    i >>= 1;
  }
  return path;
}

/** Index of the block that holds leaf `leafIndex`. */
export const blockOf = (leafIndex: number, blockSize = MERKLE_BLOCK_SIZE): number =>
  Math.floor(leafIndex / blockSize);

/** Number of blocks of a tree of `treeSize` leaves (the last one may be partial). */
export const blockCount = (treeSize: number, blockSize = MERKLE_BLOCK_SIZE): number =>
  Math.ceil(treeSize / blockSize);

/**
 * The inclusion proof of a leaf from its block's leaf hashes and the levels of the block tree
 * (leaves = every block hash of the tree of size n): RFC 9162 §2.1.3.1 PATH, computed in
 * O(block + log n) instead of O(n).
 */
export function blockedInclusionProof(
  blockLeaves: readonly (readonly Buffer[])[],
  blockTree: readonly (readonly Buffer[])[],
  leafIndex: number,
  blockSize = MERKLE_BLOCK_SIZE,
): Buffer[] {
  const block = blockOf(leafIndex, blockSize);
  return [
    ...pathFromLevels(blockLeaves, leafIndex - block * blockSize),
    ...pathFromLevels(blockTree, block),
  ];
}
