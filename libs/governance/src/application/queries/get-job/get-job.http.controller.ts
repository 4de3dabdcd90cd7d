import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JobId } from '@lethe/shared';
import { Roles, ZodRequestPipe } from '@lethe/shared/infrastructure/http';
import { JobIdParams } from '../../http/route-params';
import { JobViewDto } from '../../http/view-schemas';
import { GetJobQuery } from './get-job.query';

@ApiTags('jobs')
@Controller('v1/jobs')
export class GetJobHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':jobId')
  @Roles('ml-admin', 'compliance')
  @ApiOperation({ summary: 'An unlearning job: status, attempts, backoff, reason, history' })
  @ApiOkResponse({ type: JobViewDto })
  async get(@Param(ZodRequestPipe) params: JobIdParams) {
    return this.queryBus.execute(new GetJobQuery(JobId(params.jobId)));
  }
}
