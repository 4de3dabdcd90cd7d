import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelId } from '@lethe/shared';
import { Roles, ZodRequestPipe } from '@lethe/shared/infrastructure/http';
import { ModelIdParams } from '../../http/route-params';
import { ModelViewDto } from '../../http/view-schemas';
import { GetModelQuery } from './get-model.query';

@ApiTags('models')
@Controller('v1/models')
export class GetModelHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':modelId')
  @Roles('ml-admin', 'compliance')
  @ApiOperation({ summary: 'A model: versions with their training-set summary, queue, jobs' })
  @ApiOkResponse({ type: ModelViewDto })
  async get(@Param(ZodRequestPipe) params: ModelIdParams) {
    return this.queryBus.execute(new GetModelQuery(ModelId(params.modelId)));
  }
}
