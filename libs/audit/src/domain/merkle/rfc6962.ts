import { createHash, hash } from 'node:crypto';
import { AuditError, AuditErrorCode } from '../audit.errors';

/**
 * The Merkle tree of RFC 6962 §2.1 / RFC 9162 §2.1 over SHA-256:
 *   MTH({})      = SHA-256()
 *   leaf hash    = SHA-256(0x00 ‖ d)
 *   node hash    = SHA-256(0x01 ‖ left ‖ right)
 * The split point of a tree of n > 1 leaves is k, the largest power of two smaller than n.
 *
 * Proof generation works over the list of leaf hashes (the log stores every leaf hash), so it costs
 * O(n) hashes per call; verification costs O(log n). See docs/adr/0008-audit-log.md.
 */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** SHA-256 of the empty string: the root of the empty tree. */
export function emptyRoot(): Buffer {
  return sha256();
}

/** SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX, data);
}

/** 0x01 ‖ left ‖ right of the node being hashed (synchronous use only: never held across calls). */
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01);

/**
 * SHA-256(0x01 ‖ left ‖ right). The export hashes one node per record (merkle-levels.ts): the
 * one-shot `crypto.hash` over a reused 65-byte input costs about half of a createHash() chain.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE)
    return sha256(NODE_PREFIX, left, right);
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_SIZE);
  return hash('sha256', NODE_INPUT, 'buffer');
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function assertSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new AuditError(AuditErrorCode.INVALID_PROOF_REQUEST, `${what} must be an integer ≥ 0`, {
      [what]: n,
    });
  }
}

/** MTH(D[lo:hi]) over leaf hashes. */
function subtreeRoot(leaves: readonly Uint8Array[], lo: number, hi: number): Buffer {
  const n = hi - lo;
  if (n === 0) return emptyRoot();
  if (n === 1) return Buffer.from(leaves[lo] as Uint8Array);
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, lo, lo + k), subtreeRoot(leaves, lo + k, hi));
}

/** The Merkle Tree Hash of the tree whose leaf hashes are `leafHashes` (in log order). */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

/** PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1, as leaf hashes in, audit path out (bottom up). */
function path(leaves: readonly Uint8Array[], m: number, lo: number, hi: number): Buffer[] {
  const n = hi - lo;
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...path(leaves, m, lo, lo + k), subtreeRoot(leaves, lo + k, hi)];
  return [...path(leaves, m - k, lo + k, hi), subtreeRoot(leaves, lo, lo + k)];
}

/**
 * The inclusion proof (audit path) of leaf `leafIndex` in the tree of the first `treeSize` leaves
 * (RFC 9162 §2.1.3.1).
 */
export function inclusionProof(
  leafHashes: readonly Uint8Array[],
  leafIndex: number,
  treeSize: number,
): Buffer[] {
  assertSize(leafIndex, 'leafIndex');
  assertSize(treeSize, 'treeSize');
  if (treeSize > leafHashes.length || leafIndex >= treeSize) {
    throw new AuditError(
      AuditErrorCode.INVALID_PROOF_REQUEST,
      `no leaf ${leafIndex} in a tree of size ${treeSize} (log size ${leafHashes.length})`,
      { leafIndex, treeSize, logSize: leafHashes.length },
    );
  }
  return path(leafHashes, leafIndex, 0, treeSize);
}

/** SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1. */
function subproof(
  leaves: readonly Uint8Array[],
  m: number,
  lo: number,
  hi: number,
  complete: boolean,
): Buffer[] {
  const n = hi - lo;
  if (m === n) return complete ? [] : [subtreeRoot(leaves, lo, hi)];
  const k = splitPoint(n);
  if (m <= k)
    return [...subproof(leaves, m, lo, lo + k, complete), subtreeRoot(leaves, lo + k, hi)];
  return [...subproof(leaves, m - k, lo + k, hi, false), subtreeRoot(leaves, lo, lo + k)];
}

/**
 * The consistency proof between the tree of the first `firstSize` leaves and that of the first
 * `secondSize` leaves (RFC 9162 §2.1.4.1). Empty when firstSize is 0 or equals secondSize.
 */
export function consistencyProof(
  leafHashes: readonly Uint8Array[],
  firstSize: number,
  secondSize: number,
): Buffer[] {
  assertSize(firstSize, 'from');
  assertSize(secondSize, 'to');
  if (secondSize > leafHashes.length || firstSize > secondSize) {
    throw new AuditError(
      AuditErrorCode.INVALID_PROOF_REQUEST,
      `no consistency proof from size ${firstSize} to size ${secondSize} (log size ${leafHashes.length})`,
      { from: firstSize, to: secondSize, logSize: leafHashes.length },
    );
  }
  if (firstSize === 0 || firstSize === secondSize) return [];
  return subproof(leafHashes, firstSize, 0, secondSize, true);
}

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new AuditError(AuditErrorCode.PROOF_INVALID, message, details);
}

function assertHashes(what: string, ...hashes: Uint8Array[]): void {
  for (const h of hashes) {
    if (h.length !== HASH_SIZE) fail(`${what}: expected ${HASH_SIZE}-byte hashes, got ${h.length}`);
  }
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/**
 * The root that an inclusion proof implies (RFC 9162 §2.1.3.2 steps 1–4); throws PROOF_INVALID when
 * the proof has the wrong shape for (leafIndex, treeSize).
 */
export function rootFromInclusionProof(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0) {
    fail('leafIndex and treeSize must be integers');
  }
  if (leafIndex >= treeSize) fail(`leaf index ${leafIndex} is not below tree size ${treeSize}`);
  assertHashes('inclusion proof', leaf, ...proof);
  // BigInt: the shifts below must not wrap at 2^31 like JavaScript's 32-bit bit operators.
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize - 1);
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0n) fail('inclusion proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail('inclusion proof is too short');
  return r;
}

/** Verifies an inclusion proof (RFC 9162 §2.1.3.2); throws PROOF_INVALID if it does not hold. */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  assertHashes('root', root);
  const computed = rootFromInclusionProof(leafIndex, treeSize, leaf, proof);
  if (!eq(computed, root)) {
    fail('inclusion proof leads to another root', {
      computed: computed.toString('hex'),
      expected: Buffer.from(root).toString('hex'),
    });
  }
}

/**
 * Verifies a consistency proof between (firstSize, firstRoot) and (secondSize, secondRoot)
 * (RFC 9162 §2.1.4.2); throws PROOF_INVALID if it does not hold.
 */
export function verifyConsistency(
  firstSize: number,
  secondSize: number,
  proof: readonly Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): void {
  if (
    !Number.isSafeInteger(firstSize) ||
    !Number.isSafeInteger(secondSize) ||
    firstSize < 0 ||
    secondSize < firstSize
  ) {
    fail(`no consistency from size ${firstSize} to size ${secondSize}`);
  }
  if (firstSize === secondSize) {
    if (proof.length > 0) fail('consistency proof between equal sizes must be empty');
    if (!eq(firstRoot, secondRoot)) fail('equal sizes with different roots');
    return;
  }
  if (firstSize === 0) {
    // Every tree is consistent with the empty one; a non-empty proof is malformed.
    if (proof.length > 0) fail('consistency proof from the empty tree must be empty');
    return;
  }
  // Step 1.
  if (proof.length === 0) fail('consistency proof is empty');
  assertHashes('consistency proof', firstRoot, secondRoot, ...proof);
  // Step 2: when firstSize is a power of two, the first tree is a complete subtree: its root starts
  // the path.
  const big1 = BigInt(firstSize);
  const path: readonly Uint8Array[] = (big1 & (big1 - 1n)) === 0n ? [firstRoot, ...proof] : proof;
  // Step 3.
  let fn = big1 - 1n;
  let sn = BigInt(secondSize) - 1n;
  // Step 4.
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5.
  const [first, ...rest] = path;
  let fr: Buffer = Buffer.from(first as Uint8Array);
  let sr: Buffer = Buffer.from(first as Uint8Array);
  // Step 6.
  for (const c of rest) {
    if (sn === 0n) fail('consistency proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 7.
  if (sn !== 0n) fail('consistency proof is too short');
  if (!eq(fr, firstRoot)) fail('consistency proof does not lead to the first root');
  if (!eq(sr, secondRoot)) fail('consistency proof does not lead to the second root');
}
