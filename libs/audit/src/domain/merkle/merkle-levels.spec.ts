import { createHash } from 'node:crypto';
import {
  blockCount,
  blockedInclusionProof,
  merkleLevels,
  pathFromLevels,
  rootOfLevels,
} from './merkle-levels';
import {
  emptyRoot,
  inclusionProof,
  leafHash,
  rootFromLeafHashes,
  verifyInclusion,
} from './rfc6962';

const leaves = (n: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => leafHash(createHash('sha256').update(`leaf ${i}`).digest()));

describe('level-wise Merkle tree (the RFC 6962 tree without holding every leaf)', () => {
  it('has the RFC root and the RFC audit path for every size 0..40 and every leaf', () => {
    expect(rootOfLevels(merkleLevels([]))).toEqual(emptyRoot());
    for (let n = 1; n <= 40; n++) {
      const l = leaves(n);
      const levels = merkleLevels(l);
      expect(rootOfLevels(levels)).toEqual(rootFromLeafHashes(l));
      for (let m = 0; m < n; m++)
        expect(pathFromLevels(levels, m)).toEqual(inclusionProof(l, m, n));
    }
  });

  it.each([1, 2, 4, 8])(
    'gives the RFC proof from block %i leaves and the block tree, for every tree size up to 33',
    (blockSize) => {
      for (let n = 1; n <= 33; n++) {
        const l = leaves(n);
        const blocks = Array.from({ length: blockCount(n, blockSize) }, (_, b) =>
          merkleLevels(l.slice(b * blockSize, Math.min(n, (b + 1) * blockSize))),
        );
        const blockTree = merkleLevels(blocks.map(rootOfLevels));
        expect(rootOfLevels(blockTree)).toEqual(rootFromLeafHashes(l));
        for (let m = 0; m < n; m++) {
          const proof = blockedInclusionProof(
            blocks[Math.floor(m / blockSize)] as Buffer[][],
            blockTree,
            m,
            blockSize,
          );
          expect(proof).toEqual(inclusionProof(l, m, n));
          verifyInclusion(m, n, l[m] as Buffer, proof, rootFromLeafHashes(l));
        }
      }
    },
  );

  it('refuses a leaf outside the tree with INVALID_PROOF_REQUEST', () => {
    expect(() => pathFromLevels(merkleLevels(leaves(3)), 3)).toThrow(
      expect.objectContaining({ code: 'INVALID_PROOF_REQUEST' }),
    );
  });
});
