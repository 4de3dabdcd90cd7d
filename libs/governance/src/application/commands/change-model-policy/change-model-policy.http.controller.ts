import { Body, Controller, HttpCode, Param, Put, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelId } from '@lethe/shared';
import { Roles, type AuthenticatedRequest } from '@lethe/shared/infrastructure/http';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { ChangeModelPolicyCommand } from './change-model-policy.command';
import { ChangeModelPolicyRequestDto } from './change-model-policy.dto';

@ApiTags('models')
@Controller('v1/models')
export class ChangeModelPolicyHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Put(':modelId/policy')
  @HttpCode(200)
  @Roles('ml-admin')
  @ApiOperation({
    summary:
      "Replace a model's unlearning policy (method order, target (ε, δ), accuracy floor, cumulative budget); later unlearning jobs use it",
  })
  @ApiBody({ type: ChangeModelPolicyRequestDto })
  async change(
    @Param('modelId') modelId: string,
    @Body() body: unknown,
    @Req() req: AuthenticatedRequest,
  ) {
    return this.commandBus.execute(
      new ChangeModelPolicyCommand(ModelId(modelId), body, actorOf(req), correlationIdOf()),
    );
  }
}
