import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Controller,
  Get,
  Inject,
  Logger,
  Optional,
  Query as QueryParam,
  Req,
  Res,
} from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Roles, toProblem } from '@lethe/shared/infrastructure/http';
import { safeErrorFields } from '@lethe/shared/infrastructure/logging';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import { ExportManifestDto } from '../../http/view-schemas';
import { AUDIT_PDF_REPORT, type AuditPdfReport } from './audit-pdf-report.port';
import { exportRequestOf, ExportRequestPipe, ExportRequestQueryDto } from './export-audit-log.dto';
import { ExportAuditLogQuery } from './export-audit-log.query';
import { GetExportManifestQuery } from './export-manifest.query';

const CONTENT_TYPE = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
} as const;

/**
 * The auditor export (docs/contracts.md, "Audit export"). The content is cut at one tree size,
 * returned in the `Lethe-Export-Tree-Size` header; the manifest route with the same parameters and
 * that tree size describes exactly the same bytes.
 */
@ApiTags('audit')
@Controller('v1/audit/export')
export class ExportAuditLogHttpController {
  private readonly logger = new Logger('audit-export');

  constructor(
    private readonly queryBus: QueryBus,
    @Optional() @Inject(AUDIT_PDF_REPORT) private readonly pdfReport?: AuditPdfReport,
  ) {}

  @Get()
  @Roles('auditor')
  @ApiProduces(CONTENT_TYPE.jsonl, CONTENT_TYPE.csv, 'application/pdf')
  @ApiOkResponse({
    description:
      'JSONL: one audit record per line (certificateId, jws, leafIndex, inclusionProof, …); ' +
      'CSV: the same columns; PDF: the report for people',
    content: {
      [CONTENT_TYPE.jsonl]: { schema: { type: 'string' } },
      [CONTENT_TYPE.csv]: { schema: { type: 'string' } },
      'application/pdf': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiOperation({
    summary:
      'Stream the audit records appended in [from, to) with inclusion proofs against one signed checkpoint (JSONL or CSV), or the PDF report',
  })
  async export(
    @QueryParam(ExportRequestPipe) query: ExportRequestQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const request = exportRequestOf(query);
    if (request.format === 'pdf') {
      const { from, to } = request.range;
      return this.pdf({ ...(from ? { from } : {}), ...(to ? { to } : {}) }, req, res);
    }
    const prepared = await this.queryBus.execute(
      new ExportAuditLogQuery(request.format, request.range, request.treeSize),
    );
    const size = prepared.checkpoint.treeSize;
    const manifest = new URLSearchParams({
      ...(request.range.from ? { from: request.range.from.toISOString() } : {}),
      ...(request.range.to ? { to: request.range.to.toISOString() } : {}),
      format: request.format,
      treeSize: String(size),
    });
    res.status(200);
    res.setHeader('Content-Type', CONTENT_TYPE[request.format]);
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="lethe-audit-${size}.${request.format}"`,
    );
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Lethe-Export-Tree-Size', String(size));
    res.setHeader('Lethe-Export-Record-Count', String(prepared.recordCount));
    res.setHeader('Lethe-Export-Manifest', `/v1/audit/export/manifest?${manifest.toString()}`);
    // A pull stream: one block is read from PostgreSQL only when the socket has drained.
    const source = Readable.from(prepared.content(), { objectMode: true, highWaterMark: 1 });
    try {
      await pipeline(source, res);
    } catch (e) {
      // Headers are gone: a failure mid-stream (a client that left, a database error) can only
      // cut the response, which the manifest's count and SHA-256 then expose.
      this.logger.warn({ ...safeErrorFields(e), treeSize: size }, 'audit export cut');
      res.destroy();
    }
  }

  @Get('manifest')
  @Roles('auditor')
  @ApiOkResponse({ type: ExportManifestDto })
  @ApiOperation({
    summary:
      'The signed manifest of the export with the same parameters: count, SHA-256, checkpoint JWS, JWKS',
  })
  async manifest(@QueryParam(ExportRequestPipe) query: ExportRequestQueryDto) {
    const request = exportRequestOf(query);
    if (request.format === 'pdf') {
      throw new AuditError(
        AuditErrorCode.INVALID_EXPORT_REQUEST,
        'the PDF report is for people; manifests describe jsonl and csv exports',
        { violations: ['format: jsonl | csv'] },
      );
    }
    return this.queryBus.execute(
      new GetExportManifestQuery(request.format, request.range, request.treeSize),
    );
  }

  private async pdf(range: ExportRequestRange, req: Request, res: Response): Promise<void> {
    if (!this.pdfReport) {
      const problem = toProblem(
        new AuditError(
          AuditErrorCode.EXPORT_FORMAT_UNAVAILABLE,
          'no PDF report renderer is configured in this deployment; use format=jsonl or csv',
          { format: 'pdf' },
        ),
      );
      res
        .status(501)
        .type('application/problem+json')
        .send(JSON.stringify({ ...problem, status: 501, instance: req.url }));
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'application/pdf');
    res.setHeader('Content-Disposition', 'attachment; filename="lethe-audit-report.pdf"');
    res.setHeader('Cache-Control', 'no-store');
    const out = new PassThrough();
    const sent = pipeline(out, res);
    sent.catch(() => undefined);
    try {
      await this.pdfReport(range, out);
      if (!out.writableEnded) out.end();
      await sent;
    } catch {
      out.destroy();
      res.destroy();
    }
  }
}

type ExportRequestRange = Parameters<AuditPdfReport>[0];
