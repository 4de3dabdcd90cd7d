import { Global, Module } from '@nestjs/common';
import { CqrsModule, QueryBus } from '@nestjs/cqrs';
import type { Writable } from 'node:stream';
import { AUDIT_PDF_REPORT, type AuditPdfReport } from '@lethe/shared/application';
import { GovernanceError } from '../../domain/governance.errors';
import { GetComplianceSummaryQuery } from '../../application/queries/get-compliance-summary/get-compliance-summary.query';
import { renderCompliancePdf } from './compliance-pdf';

/**
 * The PDF report over a range: the compliance summary (GetComplianceSummaryQuery), drawn by
 * `renderCompliancePdf`. Rejects with INVALID_TIME_RANGE, before writing, on an invalid range.
 */
export const compliancePdfReport =
  (queryBus: QueryBus): AuditPdfReport =>
  async (range: { readonly from?: Date; readonly to?: Date }, out: Writable): Promise<void> => {
    const { from, to } = range;
    for (const [name, d] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (d !== undefined && Number.isNaN(d.getTime()))
        throw new GovernanceError('INVALID_TIME_RANGE', `${name} is not a date`);
    }
    if (from && to && from.getTime() >= to.getTime()) {
      throw new GovernanceError('INVALID_TIME_RANGE', 'from must be before to', {
        from: from.toISOString(),
        to: to.toISOString(),
      });
    }
    const summary = await queryBus.execute(
      new GetComplianceSummaryQuery({ ...(from ? { from } : {}), ...(to ? { to } : {}) }),
    );
    await renderCompliancePdf(summary, out);
  };

/**
 * Provides AUDIT_PDF_REPORT (@lethe/shared/application) to the whole app: global, so the routes
 * of other contexts (the auditor export's `format=pdf`) can inject it.
 */
@Global()
@Module({
  imports: [CqrsModule],
  providers: [{ provide: AUDIT_PDF_REPORT, inject: [QueryBus], useFactory: compliancePdfReport }],
  exports: [AUDIT_PDF_REPORT],
})
export class ComplianceReportModule {}
