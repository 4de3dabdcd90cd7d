import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeletionRequestId } from '@lethe/shared';
import { Roles } from '@lethe/shared/infrastructure/http';
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
  async get(@Param('requestId') requestId: string) {
    return this.queryBus.execute(new GetDeletionRequestQuery(DeletionRequestId(requestId)));
  }
}
