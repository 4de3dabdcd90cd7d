import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { JobId } from '@lethe/shared';
import { Roles, type AuthenticatedRequest } from '@lethe/shared/infrastructure/http';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { RetryJobCommand } from './retry-job.command';

@ApiTags('jobs')
@Controller('v1/jobs')
export class RetryJobHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':jobId/retry')
  @HttpCode(202)
  @Roles('ml-admin')
  @ApiOperation({ summary: 'Retry an unlearning job that ended failed' })
  async retry(@Param('jobId') jobId: string, @Req() req: AuthenticatedRequest) {
    return this.commandBus.execute(
      new RetryJobCommand(JobId(jobId), actorOf(req), correlationIdOf()),
    );
  }
}
