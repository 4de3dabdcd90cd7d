import { createHash } from 'node:crypto';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import {
  csvRow,
  jsonlLine,
  recordOfEntry,
  type VerifiableExportFormat,
} from '../../../domain/export/export-format';
import { entryLeafData, type AuditEntry } from '../../../domain/log/audit-entry';
import { inclusionProof, leafHash, rootFromLeafHashes } from '../../../domain/merkle/rfc6962';
import type { ExportBatch } from '../../ports/audit-log-store.port';
import { CheckedBatch, ChunkWriter } from './export-batch';

/**
 * The export's byte-level batch renderer against the reference: every record it writes must be
 * jsonlLine / csvRow of the record with the RFC 9162 audit path (rfc6962.ts's inclusionProof over
 * the whole log), across full batches, the partial last one, leaves outside the time range,
 * outcomes and certificates whose leaf data the fast path does not take.
 */

/** Entry i of a test log: certificates, an outcome every 7th leaf, a few unusual ids and JWSs. */
function anEntry(i: number): AuditEntry {
  if (i % 7 === 3) {
    return {
      kind: 'outcome',
      outcomeId: `req-${i}`,
      outcome: 'no-records',
      requestIds: [`req-${i}`],
      subjectRefs: [],
      recordedAt: '2026-11-29T00:00:00.000Z',
    };
  }
  const certificateId = i === 5 ? `cert-é-${i}` : i === 9 ? `cert-"q"-${i}` : `cert-${i}`;
  // A JWS literal with a quote or an escape is not copied but parsed (the same line either way).
  const jws =
    i === 11 ? 'eyJh."x".c2ln' : i === 12 ? 'eyJh.\\n.c2ln' : `eyJhbGciOiJFZERTQSJ9.${i}.sig`;
  return { kind: 'certificate', certificateId, jws };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fakeHash = (what: string, i: number) => createHash('sha256').update(`${what}${i}`).digest();

interface TestLog {
  readonly entries: AuditEntry[];
  readonly data: Buffer[];
  readonly leaves: Buffer[];
  readonly root: Buffer;
}

function aLog(n: number): TestLog {
  const entries = Array.from({ length: n }, (_, i) => anEntry(i));
  const data = entries.map(entryLeafData);
  const leaves = data.map((d) => leafHash(d));
  return { entries, data, leaves, root: rootFromLeafHashes(leaves) };
}

/** The batch [from, to) as the store hands it out; leaves for which inRange is false have no data. */
function aBatch(
  log: TestLog,
  from: number,
  to: number,
  inRange: (i: number) => boolean,
): ExportBatch {
  const parts: Buffer[] = [];
  const count = to - from;
  const at = {
    leafHashAt: new Int32Array(count),
    prevHexAt: new Int32Array(count),
    chainHexAt: new Int32Array(count),
    dataStart: new Int32Array(count),
    dataEnd: new Int32Array(count),
  };
  let o = 7; // not at 0: offsets are offsets
  parts.push(Buffer.alloc(7, 0xee));
  for (let k = 0; k < count; k++) {
    const i = from + k;
    const push = (b: Buffer) => {
      parts.push(b);
      o += b.length;
    };
    at.leafHashAt[k] = o;
    push(log.leaves[i] as Buffer);
    at.prevHexAt[k] = o;
    push(Buffer.from(hex(fakeHash('prev', i)), 'latin1'));
    at.chainHexAt[k] = o;
    push(Buffer.from(hex(fakeHash('chain', i)), 'latin1'));
    if (inRange(i)) {
      push(Buffer.from([0x00]));
      at.dataStart[k] = o;
      push(log.data[i] as Buffer);
      at.dataEnd[k] = o;
    } else {
      at.dataStart[k] = -1;
      at.dataEnd[k] = -1;
    }
  }
  return { from, count, bytes: Buffer.concat(parts), ...at, nodes: [] };
}

/** The part of leaf `from`'s audit path above its batch of `width` leaves. */
function above(log: TestLog, from: number, width: number, n: number): Buffer[] {
  const inner = width > 1 ? Math.ceil(Math.log2(width)) : 0;
  return inclusionProof(log.leaves, from, n).slice(inner);
}

function expectedLine(log: TestLog, i: number, n: number, format: VerifiableExportFormat): string {
  const record = recordOfEntry(log.entries[i] as AuditEntry, {
    leafIndex: i,
    leafHash: hex(log.leaves[i] as Buffer),
    prevHash: hex(fakeHash('prev', i)),
    chainHash: hex(fakeHash('chain', i)),
    inclusionProof: { treeSize: n, hashes: inclusionProof(log.leaves, i, n).map(hex) },
  });
  return format === 'csv' ? csvRow(record) : jsonlLine(record);
}

function exportOf(
  log: TestLog,
  batchSize: number,
  format: VerifiableExportFormat,
  inRange: (i: number) => boolean,
  tamper: (batch: ExportBatch) => void = () => undefined,
): string {
  const n = log.leaves.length;
  const out = new ChunkWriter();
  for (let from = 0; from < n; from += batchSize) {
    const to = Math.min(n, from + batchSize);
    const batch = aBatch(log, from, to, inRange);
    tamper(batch);
    const checked = new CheckedBatch(batch, above(log, from, to - from, n), n, log.root);
    for (let k = 0; k < batch.count; k++) if (checked.has(k)) checked.write(k, format, out);
  }
  out.flush();
  return Buffer.concat(out.take()).toString('utf8');
}

describe('CheckedBatch (the export batch renderer)', () => {
  it.each([
    ['jsonl', 8, 37],
    ['jsonl', 16, 64],
    ['jsonl', 4096, 37],
    ['jsonl', 1, 9],
    ['csv', 8, 37],
  ] as const)(
    'writes %s lines byte for byte the reference, batches of %i leaves in a log of %i',
    (format, batchSize, n) => {
      const log = aLog(n);
      // Leaves 0–2 and the last two are outside the time range: not exported.
      const inRange = (i: number) => i > 2 && i < n - 2;
      const expected = log.entries
        .map((_, i) => (inRange(i) ? expectedLine(log, i, n, format) : ''))
        .join('');
      expect(exportOf(log, batchSize, format, inRange)).toBe(expected);
    },
  );

  it('refuses a record whose leaf data does not hash to its leaf hash, naming the leaf', () => {
    const log = aLog(37);
    let thrown: unknown;
    try {
      exportOf(
        log,
        8,
        'jsonl',
        () => true,
        (batch) => {
          if (batch.from !== 16) return;
          // One byte of leaf 21's JWS changed in the row: its leaf hash (and the root) still hold.
          const at = (batch.dataEnd[5] as number) - 60;
          batch.bytes[at] = (batch.bytes[at] as number) ^ 0x01;
        },
      );
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(AuditError);
    expect((thrown as AuditError).code).toBe(AuditErrorCode.PROOF_INVALID);
    expect((thrown as AuditError).message).toContain('leaf 21');
  });

  it('refuses a batch whose leaf hashes do not lead to the signed root', () => {
    const log = aLog(37);
    expect(() =>
      exportOf(
        log,
        8,
        'jsonl',
        () => true,
        (batch) => {
          if (batch.from !== 8) return;
          const at = batch.leafHashAt[3] as number;
          batch.bytes[at] = (batch.bytes[at] as number) ^ 0x80;
        },
      ),
    ).toThrow(expect.objectContaining({ code: AuditErrorCode.PROOF_INVALID }) as Error);
  });
});
