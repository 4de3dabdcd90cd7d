import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import {
  CSV_HEADER,
  csvRow,
  jsonlLine,
  recordOfEntry,
  type VerifiableExportFormat,
} from '../../../domain/export/export-format';
import type { AuditEntry } from '../../../domain/log/audit-entry';
import { blockOf, merkleLevels, pathFromLevels } from '../../../domain/merkle/merkle-levels';
import { MERKLE_BLOCK_INDEX, type MerkleBlockIndex } from '../../merkle-block-index';
import {
  AUDIT_LOG_STORE,
  type AppendTimeRange,
  type AuditLogStore,
} from '../../ports/audit-log-store.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import { checkpointView } from '../get-checkpoint/get-checkpoint.handler';
import { ExportAuditLogQuery, type PreparedExport } from './export-audit-log.query';

/**
 * Cuts an export at one signed checkpoint and streams it block by block (keyset pages of
 * MERKLE_BLOCK_SIZE leaves through the primary key): per block one query, the block's Merkle
 * levels, and each record's audit path = its path in the block + the block's path in the cached
 * tree of block hashes. Memory: one block plus one hash per 1024 entries of the log.
 */
@QueryHandler(ExportAuditLogQuery)
export class ExportAuditLogHandler implements IQueryHandler<ExportAuditLogQuery> {
  constructor(
    @Inject(AUDIT_LOG_STORE) private readonly store: AuditLogStore,
    @Inject(AUDIT_SIGNER) private readonly signer: AuditSigner,
    @Inject(MERKLE_BLOCK_INDEX) private readonly index: MerkleBlockIndex,
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
  ): AsyncGenerator<string, void, undefined> {
    const render = format === 'csv' ? csvRow : jsonlLine;
    if (format === 'csv') yield CSV_HEADER;
    if (first === null || last === null) return;
    const B = this.index.blockSize;
    const tree = await this.index.blockTree(treeSize, signedRoot);
    let count = 0;
    for (let b = blockOf(first, B); b <= blockOf(last, B); b++) {
      const rows = await this.store.blockRows(b * B, Math.min(treeSize, (b + 1) * B), range);
      const levels = merkleLevels(rows.map((r) => r.leafHash));
      const outer = pathFromLevels(tree, b).map((h) => h.toString('hex'));
      let chunk = '';
      for (const [i, row] of rows.entries()) {
        if (row.data === null) continue;
        const entry = JSON.parse(row.data.toString('utf8')) as AuditEntry & { schema?: string };
        delete entry.schema;
        chunk += render(
          recordOfEntry(entry, {
            leafIndex: row.index,
            leafHash: row.leafHash.toString('hex'),
            prevHash: row.prevHash.toString('hex'),
            chainHash: row.chainHash.toString('hex'),
            inclusionProof: {
              treeSize,
              hashes: [...pathFromLevels(levels, i).map((h) => h.toString('hex')), ...outer],
            },
          }),
        );
        count++;
      }
      if (chunk !== '') yield chunk;
    }
    if (count !== expected) {
      throw new AuditError(
        AuditErrorCode.PROOF_INVALID,
        `the export held ${count} records where ${expected} were counted`,
        { count, expected },
      );
    }
  }
}
