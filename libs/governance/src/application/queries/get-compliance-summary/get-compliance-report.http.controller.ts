import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AUDIT_PDF_REPORT, type AuditPdfReport } from '@lethe/shared/application';
import { Roles, ZodRequestPipe } from '@lethe/shared/infrastructure/http';
import { complianceRangeOf, ComplianceRangeQueryDto } from './compliance-range';

@ApiTags('compliance')
@Controller('v1/compliance')
export class GetComplianceReportHttpController {
  constructor(@Inject(AUDIT_PDF_REPORT) private readonly report: AuditPdfReport) {}

  @Get('report.pdf')
  @Roles('compliance', 'auditor')
  @ApiProduces('application/pdf')
  @ApiOperation({
    summary:
      'The compliance report for people (PDF): per model requests, certificates, method mix, ' +
      'ε/δ/σ, budget spent, with charts of cumulative ε over time and accuracy per version',
  })
  @ApiOkResponse({
    description: 'the report',
    content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
  })
  async pdf(
    @Query(ZodRequestPipe) query: ComplianceRangeQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const range = complianceRangeOf(query);
    res.status(200).type('application/pdf');
    res.setHeader('content-disposition', 'inline; filename="lethe-compliance-report.pdf"');
    res.setHeader('cache-control', 'no-store');
    try {
      await this.report(range, res);
    } catch (e) {
      // Nothing written yet: the problem+json filter answers. Otherwise the body is cut short.
      if (!res.headersSent) {
        res.removeHeader('content-disposition');
        throw e;
      }
      res.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
