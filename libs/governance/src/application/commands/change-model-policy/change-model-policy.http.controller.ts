import { Body, Controller, HttpCode, Param, Put, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelId } from '@lethe/shared';
import {
  Roles,
  ZodRequestPipe,
  type AuthenticatedRequest,
} from '@lethe/shared/infrastructure/http';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { ModelIdParams } from '../../http/route-params';
import { ChangeModelPolicyCommand } from './change-model-policy.command';
import {
  ChangeModelPolicyRequestDto,
  ChangeModelPolicyResponseDto,
  PolicyPipe,
} from './change-model-policy.dto';

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
  @ApiOkResponse({ type: ChangeModelPolicyResponseDto })
  async change(
    @Param(ZodRequestPipe) params: ModelIdParams,
    @Body(PolicyPipe) body: ChangeModelPolicyRequestDto,
    @Req() req: AuthenticatedRequest,
  ) {
    return this.commandBus.execute(
      new ChangeModelPolicyCommand(ModelId(params.modelId), body, actorOf(req), correlationIdOf()),
    );
  }
}
