import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DatasetId } from '@lethe/shared';
import { Roles, type AuthenticatedRequest } from '@lethe/shared/infrastructure/http';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { parseOrThrow } from '../../http/zod-validation';
import { RegisterDatasetCommand } from './register-dataset.command';
import { RegisterDatasetRequestDto, registerDatasetSchema } from './register-dataset.dto';

@ApiTags('datasets')
@Controller('v1/datasets')
export class RegisterDatasetHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(201)
  @Roles('ml-admin')
  @ApiOperation({ summary: 'Register a dataset' })
  @ApiBody({ type: RegisterDatasetRequestDto })
  async register(@Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const dto = parseOrThrow(registerDatasetSchema, body);
    return this.commandBus.execute(
      new RegisterDatasetCommand(
        DatasetId(dto.datasetId),
        dto.name,
        dto.description ?? null,
        actorOf(req),
        correlationIdOf(),
        dto.source ?? null,
      ),
    );
  }
}
