import { createHash } from 'node:crypto';
import {
  appendToCompactRange,
  consistencyRanges,
  foldNodes,
  inclusionRanges,
  planRanges,
  rangeNodes,
  type NodeRef,
} from './merkle-nodes';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './rfc6962';

const leaves = (n: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => leafHash(createHash('sha256').update(`leaf ${i}`).digest()));

/** Every complete node of the leaves, as the database's node table holds them. */
function completeNodes(l: readonly Buffer[]): Map<string, Buffer> {
  const table = new Map<string, Buffer>();
  let level: Buffer[] = l.map((h) => Buffer.from(h));
  for (let L = 0; level.length > 0; L++) {
    level.forEach((h, i) => table.set(`${L}:${i}`, h));
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    level = next;
  }
  return table;
}

const fetch = (table: Map<string, Buffer>, refs: readonly NodeRef[]) =>
  refs.map((r) => table.get(`${r.level}:${r.index}`));
const never = (ref: NodeRef): never => {
  throw new Error(`missing node ${ref.level}:${ref.index}`);
};

describe('the RFC 6962 tree from stored complete subtrees', () => {
  it('gives the RFC root, audit paths and consistency proofs for every size up to 36', () => {
    const all = leaves(36);
    const table = completeNodes(all);
    for (let n = 1; n <= 36; n++) {
      const l = all.slice(0, n);
      const root = foldNodes(fetch(table, rangeNodes(0, n)) as Buffer[]);
      expect(root).toEqual(rootFromLeafHashes(l));
      for (let m = 0; m < n; m++) {
        const plan = planRanges(inclusionRanges(m, n));
        const proof = plan.fold(fetch(table, plan.nodes), never);
        expect(proof).toEqual(inclusionProof(l, m, n));
        expect(() => verifyInclusion(m, n, l[m]!, proof, root)).not.toThrow();
      }
      for (let m = 0; m <= n; m++) {
        const plan = planRanges(consistencyRanges(m, n));
        const proof = plan.fold(fetch(table, plan.nodes), never);
        expect(proof).toEqual(consistencyProof(l, m, n));
        const from = foldNodes(fetch(table, rangeNodes(0, m)) as Buffer[]);
        if (m > 0) expect(() => verifyConsistency(m, n, proof, from, root)).not.toThrow();
      }
    }
  });

  it('needs O(log n) nodes for a proof at 10^6 and beyond 2^32 leaves', () => {
    for (const n of [1_000_000, 2 ** 32 + 12_345]) {
      for (const m of [0, 1, Math.floor(n / 3), n - 2, n - 1]) {
        const { nodes } = planRanges(inclusionRanges(m, n));
        expect(nodes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)));
        for (const ref of nodes) {
          expect((ref.index + 1) * 2 ** ref.level).toBeLessThanOrEqual(n);
        }
      }
    }
  });

  it('keeps the compact range by appends (binary counter), equal to the stored decomposition', () => {
    const all = leaves(130);
    const table = completeNodes(all);
    let compact: Buffer[] = [];
    for (let n = 0; n < all.length; n++) {
      compact = appendToCompactRange(compact, n, all[n]!);
      expect(compact).toEqual(fetch(table, rangeNodes(0, n + 1)));
      expect(foldNodes(compact)).toEqual(rootFromLeafHashes(all.slice(0, n + 1)));
    }
  });

  it('reports a node the store lacks instead of folding a wrong hash', () => {
    const plan = planRanges(inclusionRanges(5, 12));
    expect(() =>
      plan.fold(
        plan.nodes.map(() => undefined),
        never,
      ),
    ).toThrow(/missing node/);
  });
});
