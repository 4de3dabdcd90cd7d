import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelId } from '@lethe/shared';
import { Roles, type AuthenticatedRequest } from '@lethe/shared/infrastructure/http';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { parseOrThrow } from '../../http/zod-validation';
import { RegisterModelCommand } from './register-model.command';
import { RegisterModelRequestDto, registerModelSchema } from './register-model.dto';

@ApiTags('models')
@Controller('v1/models')
export class RegisterModelHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(201)
  @Roles('ml-admin')
  @ApiOperation({
    summary:
      'Register a model and its training records; Lethe trains version 1 when the datasets have sources',
  })
  @ApiBody({ type: RegisterModelRequestDto })
  async register(@Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const dto = parseOrThrow(registerModelSchema, body);
    return this.commandBus.execute(
      new RegisterModelCommand(
        ModelId(dto.modelId),
        dto.name,
        dto.description ?? null,
        dto.training,
        actorOf(req),
        correlationIdOf(),
        dto.profile ?? {},
      ),
    );
  }
}
