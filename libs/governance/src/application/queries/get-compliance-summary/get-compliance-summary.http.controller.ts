import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '@lethe/shared/infrastructure/http';
import { parseComplianceRange } from './compliance-range';
import type { ComplianceSummary } from './compliance-summary';
import { GetComplianceSummaryQuery } from './get-compliance-summary.query';

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
  @ApiQuery({
    name: 'from',
    required: false,
    description: 'RFC 3339 date-time or YYYY-MM-DD (inclusive)',
  })
  @ApiQuery({
    name: 'to',
    required: false,
    description: 'RFC 3339 date-time or YYYY-MM-DD (exclusive)',
  })
  async summary(@Query() query: unknown): Promise<ComplianceSummary> {
    return this.queryBus.execute(new GetComplianceSummaryQuery(parseComplianceRange(query)));
  }
}
