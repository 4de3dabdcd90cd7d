import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import {
  certificateJsonlLine,
  CSV_HEADER,
  csvRow,
  jsonlLine,
  recordOfEntry,
  type VerifiableExportFormat,
} from '../../../domain/export/export-format';
import type { AuditEntry } from '../../../domain/log/audit-entry';
import { blockOf, merkleLevels, pathFromLevels } from '../../../domain/merkle/merkle-levels';
import { verifyInclusion } from '../../../domain/merkle/rfc6962';
import { MERKLE_NODE_INDEX, type MerkleNodeIndex } from '../../merkle-node-index';
import {
  AUDIT_LOG_STORE,
  type AppendTimeRange,
  type AuditLogStore,
} from '../../ports/audit-log-store.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import { checkpointView } from '../get-checkpoint/get-checkpoint.handler';
import { ExportAuditLogQuery, type PreparedExport } from './export-audit-log.query';

/** Leaves per export batch: a power of two, so that every batch is a node of the tree. */
export const EXPORT_BATCH = 4096;
/** Bytes per chunk of content handed to the socket (≈ 400 JSONL records). */
export const EXPORT_CHUNK_BYTES = 1 << 20;

/**
 * Lines written as UTF-8 straight into fixed-size buffers, handed out when full: no string of a
 * whole batch is ever built (flattening and re-encoding one cost more than rendering it), and the
 * socket gets chunks of one size.
 */
class ChunkWriter {
  private buf = Buffer.allocUnsafe(EXPORT_CHUNK_BYTES);
  private used = 0;
  readonly full: Buffer[] = [];

  write(text: string): void {
    // A UTF-16 code unit never takes more than 3 bytes of UTF-8.
    if (this.used + 3 * text.length > this.buf.length) {
      this.flush();
      if (3 * text.length > this.buf.length) this.buf = Buffer.allocUnsafe(3 * text.length);
    }
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  /** The bytes written since the last flush become a chunk of `full`. */
  flush(): void {
    if (this.used === 0) return;
    this.full.push(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(EXPORT_CHUNK_BYTES);
    this.used = 0;
  }

  /** Takes the chunks that are full. */
  take(): Buffer[] {
    return this.full.splice(0, this.full.length);
  }
}

/**
 * Cuts an export at one signed checkpoint and streams it in batches of EXPORT_BATCH leaves (keyset
 * ranges of the primary key), reading the next batch while the current one is written. Per batch:
 * one query for the rows, one for the O(log n) stored subtree hashes above it, the batch's own
 * Merkle levels, and each record's audit path = its path in the batch (consecutive leaves share
 * it, so each node is hashed and hex-encoded once) + the batch's path above. Memory: two batches,
 * whatever the size of the log (docs/adr/0019-audit-merkle-nodes.md).
 */
@QueryHandler(ExportAuditLogQuery)
export class ExportAuditLogHandler implements IQueryHandler<ExportAuditLogQuery> {
  constructor(
    @Inject(AUDIT_LOG_STORE) private readonly store: AuditLogStore,
    @Inject(AUDIT_SIGNER) private readonly signer: AuditSigner,
    @Inject(MERKLE_NODE_INDEX) private readonly index: MerkleNodeIndex,
  ) {}

  async execute({ format, range, treeSize }: ExportAuditLogQuery): Promise<PreparedExport> {
    const latest = await this.store.latestCheckpoint();
    if (!latest)
      throw new AuditError(AuditErrorCode.NO_CHECKPOINT, 'the audit log has no checkpoint');
    const size = treeSize ?? latest.treeSize;
    const stored = size === latest.treeSize ? latest : await this.store.checkpointAt(size);
    if (!stored) {
      throw new AuditError(
        AuditErrorCode.INVALID_EXPORT_REQUEST,
        `no signed checkpoint of tree size ${size} (the log has ${latest.treeSize} entries)`,
        { treeSize: size, latestTreeSize: latest.treeSize },
      );
    }
    // Serve only what verifies: the checkpoint's signature now, its root before the first block.
    const checkpoint = await checkpointView(this.signer, stored);
    const span = await this.store.exportSpan(size, range);
    const content = () =>
      this.stream(format, range, size, stored.rootHash, span.first, span.last, span.count);
    return {
      format,
      range,
      checkpoint,
      firstLeafIndex: span.first,
      lastLeafIndex: span.last,
      recordCount: span.count,
      content,
    };
  }

  private async *stream(
    format: VerifiableExportFormat,
    range: AppendTimeRange,
    treeSize: number,
    signedRoot: Buffer,
    first: number | null,
    last: number | null,
    expected: number,
  ): AsyncGenerator<Buffer, void, undefined> {
    const render = format === 'csv' ? csvRow : jsonlLine;
    const out = new ChunkWriter();
    if (format === 'csv') out.write(CSV_HEADER);
    if (first === null || last === null) {
      out.flush();
      yield* out.take();
      return;
    }
    const B = EXPORT_BATCH;
    const read = (b: number) => {
      const from = b * B;
      const to = Math.min(treeSize, from + B);
      const batch = Promise.all([
        this.store.blockRows(from, to, range),
        this.index.pathAbove(from, to, treeSize),
      ]);
      batch.catch(() => undefined); // awaited below; a client that leaves must not leak a rejection
      return batch;
    };
    let count = 0;
    const lastBatch = blockOf(last, B);
    let next = read(blockOf(first, B));
    for (let b = blockOf(first, B); b <= lastBatch; b++) {
      const [rows, above] = await next;
      // Read the next batch from PostgreSQL while this one is rendered and written.
      if (b < lastBatch) next = read(b + 1);
      const levels = merkleLevels(rows.map((r) => r.leafHash));
      const first = rows[0];
      if (!first || first.index !== b * B) this.corrupt(b * B, treeSize);
      // One proof per batch against the signed root: it binds the batch's root and the path above
      // it, so every record's proof in the batch holds (the levels are its own leaf hashes).
      verifyInclusion(
        first.index,
        treeSize,
        first.leafHash,
        [...pathFromLevels(levels, 0), ...above],
        signedRoot,
      );
      const hex = levels.map((level) => level.map((h) => h.toString('hex')));
      const outer = above.map((h) => h.toString('hex'));
      const outerJson = outer.map((h) => `,"${h}"`).join('');
      for (const [i, row] of rows.entries()) {
        if (row.data === null) continue;
        const leafHash = (hex[0] as string[])[i] as string;
        if (format === 'jsonl') {
          const inner = hexPath(hex, i);
          const hashes = [...inner, ...outer];
          // The common case without a JSON parse: a certificate's line from its leaf data as is.
          const line = certificateJsonlLine(row.data, {
            leafIndex: row.index,
            leafHash,
            prevHash: row.prevHash,
            chainHash: row.chainHash,
            treeSize,
            hashesJson:
              hashes.length === 0
                ? '[]'
                : inner.length === 0
                  ? `[${outerJson.slice(1)}]`
                  : `["${inner.join('","')}"${outerJson}]`,
          });
          if (line !== null) {
            out.write(line);
            count++;
            continue;
          }
        }
        const entry = JSON.parse(row.data) as AuditEntry & { schema?: string };
        delete entry.schema;
        out.write(
          render(
            recordOfEntry(entry, {
              leafIndex: row.index,
              leafHash,
              prevHash: row.prevHash,
              chainHash: row.chainHash,
              inclusionProof: { treeSize, hashes: [...hexPath(hex, i), ...outer] },
            }),
          ),
        );
        count++;
      }
      // Whole chunks as they fill; the rest waits for the next batch (or the end).
      for (const chunk of out.take()) yield chunk;
    }
    out.flush();
    for (const chunk of out.take()) yield chunk;
    if (count !== expected) {
      throw new AuditError(
        AuditErrorCode.PROOF_INVALID,
        `the export held ${count} records where ${expected} were counted`,
        { count, expected },
      );
    }
  }

  private corrupt(leafIndex: number, treeSize: number): never {
    throw new AuditError(
      AuditErrorCode.PROOF_INVALID,
      `the audit log lacks leaf ${leafIndex} of the tree of size ${treeSize}`,
      { leafIndex, treeSize },
    );
  }
}

/** The audit path of leaf i inside a batch, from its levels already rendered as hex. */
function hexPath(levels: readonly (readonly string[])[], index: number): string[] {
  const path: string[] = [];
  let i = index;
  for (let level = 0; level < levels.length - 1; level++) {
    const sibling = (levels[level] as readonly string[])[i ^ 1];
    if (sibling !== undefined) path.push(sibling);
    i >>= 1;
  }
  return path;
}
