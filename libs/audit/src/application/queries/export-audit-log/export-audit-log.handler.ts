import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import { CSV_HEADER, type VerifiableExportFormat } from '../../../domain/export/export-format';
import { blockOf } from '../../../domain/merkle/merkle-levels';
import { MERKLE_NODE_INDEX, type MerkleNodeIndex } from '../../merkle-node-index';
import {
  AUDIT_LOG_STORE,
  type AppendTimeRange,
  type AuditLogStore,
} from '../../ports/audit-log-store.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import { checkpointView } from '../get-checkpoint/get-checkpoint.handler';
import { ExportAuditLogQuery, type PreparedExport } from './export-audit-log.query';
import { CheckedBatch, ChunkWriter } from './export-batch';

/** Leaves per export batch: a power of two, so that every batch is a node of the tree. */
export const EXPORT_BATCH = 4096;

/**
 * Cuts an export at one signed checkpoint and streams it in batches of EXPORT_BATCH leaves (keyset
 * ranges of the primary key), reading the next batch while the current one is written. Per batch,
 * on one connection: a binary COPY of the rows (raw bytes) and one query for the O(log n) stored
 * subtree hashes above it; then the batch's own Merkle levels, checked against the signed root,
 * each record's leaf data checked against its leaf hash, and each record's audit path = its path
 * in the batch (consecutive leaves share it, so each node is hashed and hex-encoded once) + the
 * batch's path above (export-batch.ts). Memory: two batches, whatever the size of the log
 * (docs/adr/0019-audit-merkle-nodes.md).
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
    const out = new ChunkWriter();
    if (format === 'csv') out.write(CSV_HEADER);
    if (first === null || last === null) {
      out.flush();
      yield* out.take();
      return;
    }
    const B = EXPORT_BATCH;
    // One batch: its rows and the stored nodes above it, on one connection.
    const read = (b: number) => {
      const from = b * B;
      const to = Math.min(treeSize, from + B);
      const plan = this.index.planAbove(from, to, treeSize);
      const batch = this.store
        .exportBatch(from, to, range, plan.nodes)
        .then((rows) => ({ rows, above: plan.fold(rows.nodes) }));
      batch.catch(() => undefined); // awaited below; a client that leaves must not leak a rejection
      return batch;
    };
    let count = 0;
    const lastBatch = blockOf(last, B);
    let next = read(blockOf(first, B));
    for (let b = blockOf(first, B); b <= lastBatch; b++) {
      const { rows, above } = await next;
      // Read the next batch from PostgreSQL while this one is checked, rendered and written.
      if (b < lastBatch) next = read(b + 1);
      if (rows.from !== b * B || rows.count === 0) this.corrupt(b * B, treeSize);
      const batch = new CheckedBatch(rows, above, treeSize, signedRoot);
      for (let i = 0; i < rows.count; i++) {
        if (!batch.has(i)) continue;
        batch.write(i, format, out);
        count++;
        // Whole chunks as they fill (the socket and the next batch's read go on meanwhile); the
        // rest waits for the next records (or the end).
        if (out.full.length > 0) yield* out.take();
      }
    }
    out.flush();
    yield* out.take();
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
