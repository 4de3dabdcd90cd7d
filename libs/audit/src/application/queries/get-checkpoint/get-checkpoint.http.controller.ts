import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ROLES, Roles } from '@lethe/shared/infrastructure/http';
import { CheckpointViewDto } from '../../http/view-schemas';
import { GetCheckpointQuery } from './get-checkpoint.query';

@ApiTags('audit')
@Controller('v1/audit')
export class GetCheckpointHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('checkpoint')
  @Roles(...ROLES)
  @ApiOperation({ summary: 'The latest signed checkpoint of the audit log (tree size, root)' })
  @ApiOkResponse({ type: CheckpointViewDto })
  async get() {
    return this.queryBus.execute(new GetCheckpointQuery());
  }
}
