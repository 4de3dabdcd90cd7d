import { createHash } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import {
  EXPORT_MANIFEST_SCHEMA,
  type ExportManifestBody,
  type ExportManifestFile,
} from '../../../domain/export/export-format';
import { AUDIT_LOG_OPTIONS, type AuditLogOptions } from '../../ports/audit-options.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import { ExportAuditLogQuery } from './export-audit-log.query';
import { GetExportManifestQuery } from './export-manifest.query';

@QueryHandler(GetExportManifestQuery)
export class GetExportManifestHandler implements IQueryHandler<GetExportManifestQuery> {
  constructor(
    private readonly queries: QueryBus,
    @Inject(AUDIT_SIGNER) private readonly signer: AuditSigner,
    @Inject(AUDIT_LOG_OPTIONS) private readonly options: AuditLogOptions,
  ) {}

  async execute({ format, range, treeSize }: GetExportManifestQuery): Promise<ExportManifestFile> {
    const prepared = await this.queries.execute(new ExportAuditLogQuery(format, range, treeSize));
    const sha = createHash('sha256');
    let bytes = 0;
    for await (const chunk of prepared.content()) {
      sha.update(chunk);
      bytes += chunk.length;
    }
    const body: ExportManifestBody = {
      schema: EXPORT_MANIFEST_SCHEMA,
      origin: prepared.checkpoint.body.origin,
      format,
      range: {
        from: range.from?.toISOString() ?? null,
        to: range.to?.toISOString() ?? null,
      },
      treeSize: prepared.checkpoint.treeSize,
      firstLeafIndex: prepared.firstLeafIndex,
      lastLeafIndex: prepared.lastLeafIndex,
      recordCount: prepared.recordCount,
      contentBytes: bytes,
      contentSha256: sha.digest('hex'),
      checkpoint: prepared.checkpoint.jws,
      jwks: this.signer.jwks(),
      issuedAt: (this.options.now?.() ?? new Date()).toISOString(),
    };
    return { jws: await this.signer.signManifest(body), body };
  }
}
