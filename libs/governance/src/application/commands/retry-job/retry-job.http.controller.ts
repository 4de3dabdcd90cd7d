import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { JobId } from '@lethe/shared';
import {
  Roles,
  ZodRequestPipe,
  type AuthenticatedRequest,
} from '@lethe/shared/infrastructure/http';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { JobIdParams } from '../../http/route-params';
import { RetryJobCommand } from './retry-job.command';

class RetryJobResponseDto extends createZodDto(
  z.object({ jobId: z.string(), status: z.literal('awaiting-dispatch') }),
) {}

@ApiTags('jobs')
@Controller('v1/jobs')
export class RetryJobHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':jobId/retry')
  @HttpCode(202)
  @Roles('ml-admin')
  @ApiOperation({ summary: 'Retry an unlearning job that ended failed' })
  @ApiAcceptedResponse({ type: RetryJobResponseDto })
  async retry(
    @Param(ZodRequestPipe) params: JobIdParams,
    @Req() req: AuthenticatedRequest,
  ): Promise<RetryJobResponseDto> {
    return this.commandBus.execute(
      new RetryJobCommand(JobId(params.jobId), actorOf(req), correlationIdOf()),
    );
  }
}
