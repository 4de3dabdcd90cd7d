import { emptyRoot, nodeHash, splitPoint } from './rfc6962';

/**
 * The RFC 6962 / RFC 9162 §2.1 tree read from its stored complete subtrees (docs/adr/0019-merkle-
 * node-table.md). A complete node (level L, index i) is MTH(D[i·2^L : (i+1)·2^L]): level 0 is the
 * leaf hashes, and every level above is written once, when the leaf that completes it is
 * appended, and never changes (the log is append-only). Every node of the RFC tree of any size n
 * is MTH(D[lo:hi]) with lo a multiple of the smallest power of two ≥ hi − lo, and such a range is
 * the right fold of the complete nodes of the binary decomposition of hi − lo (largest first):
 * so the root, an audit path or a consistency proof needs O(log n) stored nodes, not n leaves.
 */
export interface NodeRef {
  /** Height above the leaves: the node covers 2^level leaves. */
  readonly level: number;
  /** Position among the nodes of its level: it covers leaves [index·2^level, (index+1)·2^level). */
  readonly index: number;
}

/** A range of leaves [lo, hi) whose Merkle Tree Hash is one entry of a proof. */
export type LeafRange = readonly [lo: number, hi: number];

/**
 * The complete nodes whose right fold is MTH(D[lo:hi]), left to right (empty for lo = hi). `lo`
 * must be aligned as every node of an RFC tree is (a multiple of the power of two ≥ hi − lo).
 */
export function rangeNodes(lo: number, hi: number): NodeRef[] {
  const out: NodeRef[] = [];
  let start = lo;
  let size = hi - lo;
  while (size > 0) {
    let level = 0;
    while (2 ** (level + 1) <= size) level++;
    out.push({ level, index: start / 2 ** level });
    start += 2 ** level;
    size -= 2 ** level;
  }
  return out;
}

/** MTH of a range from the hashes of its rangeNodes, in the same order: node(h1, node(h2, …)). */
export function foldNodes(hashes: readonly Buffer[]): Buffer {
  let root = hashes[hashes.length - 1];
  if (root === undefined) return emptyRoot();
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Buffer, root);
  return root;
}

/** The ranges whose MTHs are the RFC 9162 §2.1.3.1 audit path of leaf m in a tree of n, bottom up. */
export function inclusionRanges(m: number, n: number): LeafRange[] {
  const out: LeafRange[] = [];
  let lo = 0;
  let hi = n;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (m - lo < k) {
      out.push([lo + k, hi]);
      hi = lo + k;
    } else {
      out.push([lo, lo + k]);
      lo += k;
    }
  }
  return out.reverse();
}

/** The ranges of RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], complete), in proof order. */
function subproofRanges(m: number, lo: number, hi: number, complete: boolean): LeafRange[] {
  const n = hi - lo;
  if (m === n) return complete ? [] : [[lo, hi]];
  const k = splitPoint(n);
  if (m <= k) return [...subproofRanges(m, lo, lo + k, complete), [lo + k, hi]];
  return [...subproofRanges(m - k, lo + k, hi, false), [lo, lo + k]];
}

/** The ranges of the consistency proof from size m to size n (none when m is 0 or n). */
export function consistencyRanges(m: number, n: number): LeafRange[] {
  if (m === 0 || m === n) return [];
  return subproofRanges(m, 0, n, true);
}

/**
 * Every node the given ranges need, deduplicated, and a function that folds the fetched hashes
 * (aligned with `nodes`) back into one MTH per range. Missing hashes (undefined) throw through
 * `missing`.
 */
export function planRanges(ranges: readonly LeafRange[]): {
  readonly nodes: NodeRef[];
  readonly fold: (
    hashes: readonly (Buffer | undefined)[],
    missing: (ref: NodeRef) => never,
  ) => Buffer[];
} {
  const nodes: NodeRef[] = [];
  const position = new Map<string, number>();
  const perRange = ranges.map(([lo, hi]) =>
    rangeNodes(lo, hi).map((ref) => {
      const key = `${ref.level}:${ref.index}`;
      let at = position.get(key);
      if (at === undefined) {
        at = nodes.length;
        position.set(key, at);
        nodes.push(ref);
      }
      return at;
    }),
  );
  return {
    nodes,
    fold: (hashes, missing) =>
      perRange.map((positions) =>
        foldNodes(positions.map((p) => hashes[p] ?? missing(nodes[p] as NodeRef))),
      ),
  };
}

/**
 * The compact range of a tree of `size` leaves (the hashes of rangeNodes(0, size)) after one more
 * leaf: the new leaf joins as a level-0 node and merges with its left neighbours while their
 * levels are equal, as in a binary counter. O(log n) hashes; returns the new compact range.
 */
export function appendToCompactRange(
  compact: readonly Buffer[],
  size: number,
  leaf: Buffer,
): Buffer[] {
  const out = [...compact];
  let node = leaf;
  for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) {
    node = nodeHash(out.pop() as Buffer, node);
  }
  out.push(node);
  return out;
}
