import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeletionRequestId } from '@lethe/shared';
import { Roles, ZodRequestPipe } from '@lethe/shared/infrastructure/http';
import { RequestIdParams } from '../../http/route-params';
import { DeletionRequestViewDto } from '../../http/view-schemas';
import { GetDeletionRequestQuery } from './get-deletion-request.query';

@ApiTags('deletion-requests')
@Controller('v1/deletion-requests')
export class GetDeletionRequestHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':requestId')
  @Roles('compliance', 'auditor')
  @ApiOperation({
    summary: 'Status, deadline, per-model progress and history of a deletion request',
  })
  @ApiOkResponse({ type: DeletionRequestViewDto })
  async get(@Param(ZodRequestPipe) params: RequestIdParams) {
    return this.queryBus.execute(new GetDeletionRequestQuery(DeletionRequestId(params.requestId)));
  }
}
