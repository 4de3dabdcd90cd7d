import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DatasetId } from '@lethe/shared';
import {
  Roles,
  ZodRequestPipe,
  type AuthenticatedRequest,
} from '@lethe/shared/infrastructure/http';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { RegisterDatasetCommand } from './register-dataset.command';
import { RegisterDatasetRequestDto, RegisterDatasetResponseDto } from './register-dataset.dto';

@ApiTags('datasets')
@Controller('v1/datasets')
export class RegisterDatasetHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(201)
  @Roles('ml-admin')
  @ApiOperation({ summary: 'Register a dataset' })
  @ApiCreatedResponse({ type: RegisterDatasetResponseDto })
  async register(
    @Body(ZodRequestPipe) dto: RegisterDatasetRequestDto,
    @Req() req: AuthenticatedRequest,
  ): Promise<RegisterDatasetResponseDto> {
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
