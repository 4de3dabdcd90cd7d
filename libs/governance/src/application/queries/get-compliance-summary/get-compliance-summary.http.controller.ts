import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { Roles, ZodRequestPipe } from '@lethe/shared/infrastructure/http';
import { complianceRangeOf, ComplianceRangeQueryDto } from './compliance-range';
import type { ComplianceSummary } from './compliance-summary';
import { GetComplianceSummaryQuery } from './get-compliance-summary.query';

/**
 * The summary's outline for the OpenAPI document: the top level typed, a model's summary and a
 * request row open (their fields: compliance-summary.ts).
 */
class ComplianceSummaryDto extends createZodDto(
  z.object({
    generatedAt: z.string().datetime(),
    range: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
    totals: z.object({
      requests: z.number().int(),
      overdue: z.number().int(),
      byStatus: z.record(z.number().int()).describe('requests per status'),
      certificates: z.number().int(),
      models: z.number().int(),
    }),
    requests: z.object({
      rows: z
        .array(z.object({ requestId: z.string() }).passthrough())
        .describe('overdue first (most overdue first), then open by deadline, then settled'),
      omitted: z.number().int().describe('requests of the range the table leaves out'),
    }),
    models: z
      .array(z.object({ modelId: z.string() }).passthrough())
      .describe('per model: requests, certificates, method mix, ε/δ/σ, budget, accuracy'),
  }),
) {}

@ApiTags('compliance')
@Controller('v1/compliance')
export class GetComplianceSummaryHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('summary')
  @Roles('compliance', 'auditor')
  @ApiOperation({
    summary:
      'Per model: requests by status (overdue first), certificates and method mix, ε/δ/σ, ' +
      'cumulative ε over time, accuracy per version, budget spent',
  })
  @ApiOkResponse({ type: ComplianceSummaryDto })
  async summary(@Query(ZodRequestPipe) query: ComplianceRangeQueryDto): Promise<ComplianceSummary> {
    return this.queryBus.execute(new GetComplianceSummaryQuery(complianceRangeOf(query)));
  }
}
