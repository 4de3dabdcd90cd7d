import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelId } from '@lethe/shared';
import { Roles } from '@lethe/shared/infrastructure/http';
import { GetModelQuery } from './get-model.query';

@ApiTags('models')
@Controller('v1/models')
export class GetModelHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':modelId')
  @Roles('ml-admin', 'compliance')
  @ApiOperation({ summary: 'A model: versions with their training-set summary, queue, jobs' })
  async get(@Param('modelId') modelId: string) {
    return this.queryBus.execute(new GetModelQuery(ModelId(modelId)));
  }
}
