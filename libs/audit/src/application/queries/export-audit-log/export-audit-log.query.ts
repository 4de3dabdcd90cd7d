import { Query } from '@nestjs/cqrs';
import type { VerifiableExportFormat } from '../../../domain/export/export-format';
import type { AppendTimeRange } from '../../ports/audit-log-store.port';
import type { CheckpointView } from '../checkpoint.view';

/** An export cut at one tree size, ready to stream (nothing is read before `content` is pulled). */
export interface PreparedExport {
  readonly format: VerifiableExportFormat;
  readonly range: AppendTimeRange;
  /** The checkpoint every inclusion proof is against (verified before anything is served). */
  readonly checkpoint: CheckpointView;
  readonly firstLeafIndex: number | null;
  readonly lastLeafIndex: number | null;
  readonly recordCount: number;
  /**
   * The content as UTF-8 bytes, in chunks of about EXPORT_CHUNK_BYTES (export-batch.ts; a pull
   * stream: the next block of records is read from PostgreSQL only when the consumer asks, so
   * memory stays flat and backpressure holds).
   */
  content(): AsyncGenerator<Buffer, void, undefined>;
}

/**
 * The audit records appended in [range.from, range.to) among the first `treeSize` leaves (the
 * latest checkpoint when omitted), each with its inclusion proof against that checkpoint.
 */
export class ExportAuditLogQuery extends Query<PreparedExport> {
  constructor(
    readonly format: VerifiableExportFormat,
    readonly range: AppendTimeRange,
    readonly treeSize?: number,
  ) {
    super();
  }
}
