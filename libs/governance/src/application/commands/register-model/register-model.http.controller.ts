import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelId } from '@lethe/shared';
import {
  Roles,
  ZodRequestPipe,
  type AuthenticatedRequest,
} from '@lethe/shared/infrastructure/http';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { RegisterModelCommand } from './register-model.command';
import { RegisterModelRequestDto, RegisterModelResponseDto } from './register-model.dto';

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
  @ApiCreatedResponse({ type: RegisterModelResponseDto })
  async register(
    @Body(ZodRequestPipe) dto: RegisterModelRequestDto,
    @Req() req: AuthenticatedRequest,
  ) {
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
