import { Query } from '@nestjs/cqrs';
import type {
  ExportManifestFile,
  VerifiableExportFormat,
} from '../../../domain/export/export-format';
import type { AppendTimeRange } from '../../ports/audit-log-store.port';

/**
 * The signed manifest of the export with the same format, range and tree size: it streams the
 * same content again (constant memory) to count and digest it, and signs the result.
 */
export class GetExportManifestQuery extends Query<ExportManifestFile> {
  constructor(
    readonly format: VerifiableExportFormat,
    readonly range: AppendTimeRange,
    readonly treeSize?: number,
  ) {
    super();
  }
}
