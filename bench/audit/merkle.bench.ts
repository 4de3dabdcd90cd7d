/**
 * Cost of the audit log's Merkle work as the log grows (libs/audit, docs/adr/0008-audit-log.md).
 *   npm run bench:audit
 *
 * Per append the log extends the hash chain (one SHA-256, the baseline) and recomputes the Merkle
 * root over every leaf hash for the new signed checkpoint (about 2n hashes); GET /v1/certificates/:id
 * builds an inclusion proof and /v1/audit/consistency a consistency proof from all leaf hashes
 * (O(n)); an auditor verifies either in O(log n). Median of 5 runs, on in-memory leaf hashes (the
 * database read of n × 32 bytes comes on top).
 */
import { randomBytes } from 'node:crypto';
import {
  chainHash,
  consistencyProof,
  inclusionProof,
  leafHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '@lethe/audit';

const SIZES = [1_000, 10_000, 100_000];
const RUNS = 5;

function median(fn: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(RUNS / 2)] as number;
}

const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(1));
const rows: string[][] = [];
for (const n of SIZES) {
  const leaves = Array.from({ length: n }, () => leafHash(randomBytes(64)));
  const root = rootFromLeafHashes(leaves);
  const m = Math.floor(n / 3);
  const rootM = rootFromLeafHashes(leaves.slice(0, m));
  const i = Math.floor(n / 2);
  const path = inclusionProof(leaves, i, n);
  const cons = consistencyProof(leaves, m, n);
  const head = randomBytes(32);
  rows.push([
    String(n),
    fmt(median(() => chainHash(head, leaves[n - 1] as Buffer))),
    fmt(median(() => rootFromLeafHashes(leaves))),
    fmt(median(() => inclusionProof(leaves, i, n))),
    fmt(median(() => consistencyProof(leaves, m, n))),
    fmt(median(() => verifyInclusion(i, n, leaves[i] as Buffer, path, root))),
    fmt(median(() => verifyConsistency(m, n, cons, rootM, root))),
    String(path.length),
  ]);
}

const header = [
  'leaves n',
  'chain link ms (baseline)',
  'root ms',
  'inclusion proof ms',
  'consistency proof ms',
  'verify inclusion ms',
  'verify consistency ms',
  'path length',
];
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map(() => '---').join(' | ')} |`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
