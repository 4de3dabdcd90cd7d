import { randomBytes } from 'node:crypto';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './rfc6962';

/**
 * Golden vectors: the RFC 6962 reference tree of eight leaves and its roots, audit paths and
 * consistency proofs, as published with Certificate Transparency's Go implementation
 * (github.com/transparency-dev/merkle, proof/verify_test.go and rfc6962/rfc6962_test.go).
 * Every expected value below is a byte string copied from there; nothing is computed by us.
 */
const h = (hex: string): Buffer => Buffer.from(hex, 'hex');

const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(h);

/** ROOTS[i] is the root of the tree of the first i + 1 leaves. */
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(h);

/** (1-based leaf, tree size, audit path). */
const INCLUSION: Array<[number, number, string[]]> = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    2,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

/** (first size, second size, proof). */
const CONSISTENCY: Array<[number, number, string[]]> = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];

const LEAF_HASHES = LEAVES.map(leafHash);
const hex = (bs: readonly Uint8Array[]): string[] => bs.map((b) => Buffer.from(b).toString('hex'));
const flip = (b: Uint8Array, bit: number): Buffer => {
  const copy = Buffer.from(b);
  copy[0] = (copy[0] as number) ^ (1 << bit);
  return copy;
};

describe('RFC 6962 hashing (golden vectors)', () => {
  it('hashes the empty tree, the empty leaf, a leaf and a node as the reference does', () => {
    expect(emptyRoot().toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(leafHash(Buffer.from('L123456')).toString('hex')).toBe(
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
    expect(nodeHash(Buffer.from('N123'), Buffer.from('N456')).toString('hex')).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it.each(ROOTS.map((root, i) => [i + 1, root] as const))(
    'computes the root of the first %d reference leaves byte for byte',
    (size, root) => {
      expect(rootFromLeafHashes(LEAF_HASHES.slice(0, size)).toString('hex')).toBe(
        root.toString('hex'),
      );
    },
  );

  it('gives the empty tree the hash of the empty string', () => {
    expect(rootFromLeafHashes([])).toEqual(emptyRoot());
  });
});

describe('inclusion proofs (golden vectors)', () => {
  it.each(INCLUSION)(
    'leaf %d of %d: generates the reference path and verifies it',
    (leaf, size, expected) => {
      const proof = inclusionProof(LEAF_HASHES, leaf - 1, size);
      expect(hex(proof)).toEqual(expected);
      const root = ROOTS[size - 1] as Buffer;
      expect(() =>
        verifyInclusion(leaf - 1, size, LEAF_HASHES[leaf - 1] as Buffer, expected.map(h), root),
      ).not.toThrow();
    },
  );

  it.each(INCLUSION.filter(([, , p]) => p.length > 0))(
    'leaf %d of %d: refuses every corrupted variant',
    (leaf, size, expectedHex) => {
      const proof = expectedHex.map(h);
      const index = leaf - 1;
      const leafH = LEAF_HASHES[index] as Buffer;
      const root = ROOTS[size - 1] as Buffer;
      const probes: Array<[string, () => void]> = [
        ['index - 1', () => verifyInclusion(index - 1, size, leafH, proof, root)],
        ['index + 1', () => verifyInclusion(index + 1, size, leafH, proof, root)],
        ['index ^ 2', () => verifyInclusion(index ^ 2, size, leafH, proof, root)],
        ['size * 2', () => verifyInclusion(index, size * 2, leafH, proof, root)],
        ['size / 2', () => verifyInclusion(index, Math.floor(size / 2), leafH, proof, root)],
        ['wrong leaf', () => verifyInclusion(index, size, leafHash(Buffer.from('x')), proof, root)],
        ['empty root', () => verifyInclusion(index, size, leafH, proof, emptyRoot())],
        ['trailing root', () => verifyInclusion(index, size, leafH, [...proof, root], root)],
        ['preceding root', () => verifyInclusion(index, size, leafH, [root, ...proof], root)],
        [
          'short element',
          () => verifyInclusion(index, size, leafH, [...proof, Buffer.alloc(0)], root),
        ],
        ['removed last', () => verifyInclusion(index, size, leafH, proof.slice(0, -1), root)],
        ...proof.map(
          (_, i) =>
            [
              `bit flipped in proof[${i}]`,
              () =>
                verifyInclusion(
                  index,
                  size,
                  leafH,
                  proof.map((p, j) => (j === i ? flip(p, 3) : p)),
                  root,
                ),
            ] as [string, () => void],
        ),
      ];
      const accepted = probes.filter(([, probe]) => {
        try {
          probe();
          return true;
        } catch (e) {
          expect((e as { code?: string }).code).toBe('PROOF_INVALID');
          return false;
        }
      });
      expect(accepted.map(([name]) => name)).toEqual([]);
    },
  );

  it('refuses to build a proof for a leaf the tree does not have', () => {
    expect(() => inclusionProof(LEAF_HASHES, 8, 8)).toThrow(
      expect.objectContaining({ code: 'INVALID_PROOF_REQUEST' }),
    );
    expect(() => inclusionProof(LEAF_HASHES, 0, 9)).toThrow(
      expect.objectContaining({ code: 'INVALID_PROOF_REQUEST' }),
    );
  });
});

describe('consistency proofs (golden vectors)', () => {
  it.each(CONSISTENCY)(
    '%d → %d: generates the reference proof and verifies it',
    (m, n, expected) => {
      expect(hex(consistencyProof(LEAF_HASHES, m, n))).toEqual(expected);
      expect(() =>
        verifyConsistency(m, n, expected.map(h), ROOTS[m - 1] as Buffer, ROOTS[n - 1] as Buffer),
      ).not.toThrow();
    },
  );

  it.each(CONSISTENCY.filter(([, , p]) => p.length > 0))(
    '%d → %d: refuses every corrupted variant',
    (m, n, expectedHex) => {
      const proof = expectedHex.map(h);
      const r1 = ROOTS[m - 1] as Buffer;
      const r2 = ROOTS[n - 1] as Buffer;
      const probes: Array<[string, () => void]> = [
        ['size1 - 1', () => verifyConsistency(m - 1, n, proof, r1, r2)],
        ['size1 + 1', () => verifyConsistency(m + 1, n, proof, r1, r2)],
        ['size1 ^ 2', () => verifyConsistency(m ^ 2, n, proof, r1, r2)],
        ['size2 * 2', () => verifyConsistency(m, n * 2, proof, r1, r2)],
        ['size2 / 2', () => verifyConsistency(m, Math.floor(n / 2), proof, r1, r2)],
        ['wrong root1', () => verifyConsistency(m, n, proof, emptyRoot(), r2)],
        ['wrong root2', () => verifyConsistency(m, n, proof, r1, emptyRoot())],
        ['swapped roots', () => verifyConsistency(m, n, proof, r2, r1)],
        ['empty proof', () => verifyConsistency(m, n, [], r1, r2)],
        ['trailing root1', () => verifyConsistency(m, n, [...proof, r1], r1, r2)],
        ['trailing root2', () => verifyConsistency(m, n, [...proof, r2], r1, r2)],
        ['preceding root2', () => verifyConsistency(m, n, [r2, ...proof], r1, r2)],
        [
          'preceding proof[0]',
          () => verifyConsistency(m, n, [proof[0] as Buffer, ...proof], r1, r2),
        ],
        ['truncated', () => verifyConsistency(m, n, proof.slice(0, -1), r1, r2)],
        ...proof.map(
          (_, i) =>
            [
              `bit flipped in proof[${i}]`,
              () =>
                verifyConsistency(
                  m,
                  n,
                  proof.map((p, j) => (j === i ? flip(p, 4) : p)),
                  r1,
                  r2,
                ),
            ] as [string, () => void],
        ),
      ];
      const accepted = probes.filter(([, probe]) => {
        try {
          probe();
          return true;
        } catch {
          return false;
        }
      });
      expect(accepted.map(([name]) => name)).toEqual([]);
    },
  );

  it('accepts the trivial cases and refuses time travel', () => {
    const r = ROOTS[0] as Buffer;
    expect(() => verifyConsistency(0, 0, [], emptyRoot(), emptyRoot())).not.toThrow();
    expect(() => verifyConsistency(0, 1, [], emptyRoot(), r)).not.toThrow();
    expect(() => verifyConsistency(1, 1, [], r, r)).not.toThrow();
    expect(() => verifyConsistency(1, 1, [], r, emptyRoot())).toThrow();
    expect(() => verifyConsistency(1, 1, [emptyRoot()], r, r)).toThrow();
    expect(() => verifyConsistency(2, 1, [], r, r)).toThrow();
  });
});

describe('proofs over random trees (generator and verifier agree)', () => {
  // Deterministic sizes; random leaf contents only change the hashes, not the shapes.
  const leaves = Array.from({ length: 70 }, () => leafHash(randomBytes(16)));

  it('every inclusion proof of every leaf of every tree up to 70 leaves verifies', () => {
    for (let size = 1; size <= leaves.length; size++) {
      const root = rootFromLeafHashes(leaves.slice(0, size));
      for (let i = 0; i < size; i++) {
        verifyInclusion(i, size, leaves[i] as Buffer, inclusionProof(leaves, i, size), root);
      }
    }
  });

  it('every consistency proof between any two sizes up to 70 verifies', () => {
    const roots = Array.from({ length: leaves.length + 1 }, (_, n) =>
      rootFromLeafHashes(leaves.slice(0, n)),
    );
    for (let m = 0; m <= leaves.length; m++) {
      for (let n = m; n <= leaves.length; n++) {
        verifyConsistency(
          m,
          n,
          consistencyProof(leaves, m, n),
          roots[m] as Buffer,
          roots[n] as Buffer,
        );
      }
    }
  });
});
