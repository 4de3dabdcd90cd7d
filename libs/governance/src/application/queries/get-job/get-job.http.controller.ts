import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { JobId } from '@lethe/shared';
import { Roles } from '@lethe/shared/infrastructure/http';
import { GetJobQuery } from './get-job.query';

@ApiTags('jobs')
@Controller('v1/jobs')
export class GetJobHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':jobId')
  @Roles('ml-admin', 'compliance')
  @ApiOperation({ summary: 'An unlearning job: status, attempts, backoff, reason, history' })
  async get(@Param('jobId') jobId: string) {
    return this.queryBus.execute(new GetJobQuery(JobId(jobId)));
  }
}
