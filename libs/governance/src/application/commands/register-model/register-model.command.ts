import { Command } from '@nestjs/cqrs';
import type { ModelId } from '@lethe/shared';
import type { TrainingSetSummary } from '../../../domain/model/model.events';
import type { RegisterModelDto } from './register-model.dto';

export class RegisterModelCommand extends Command<{
  modelId: ModelId;
  version: number;
  trainingSet: TrainingSetSummary;
}> {
  constructor(
    readonly modelId: ModelId,
    readonly name: string,
    readonly description: string | null,
    readonly training: RegisterModelDto['training'],
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
