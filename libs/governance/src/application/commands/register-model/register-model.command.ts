import { Command } from '@nestjs/cqrs';
import type { JobId, ModelId } from '@lethe/shared';
import type { TrainingSetSummary } from '../../../domain/model/model.events';
import type { RegisterModelDto } from './register-model.dto';

export class RegisterModelCommand extends Command<{
  modelId: ModelId;
  /** 1 when registered trained; 0 while Lethe trains it (`trainingJobId` set). */
  version: number;
  trainingSet: TrainingSetSummary;
  trainingJobId: JobId | null;
}> {
  constructor(
    readonly modelId: ModelId,
    readonly name: string,
    readonly description: string | null,
    readonly training: RegisterModelDto['training'],
    readonly actor: string,
    readonly correlationId: string,
    readonly profile: Readonly<Record<string, unknown>> = {},
  ) {
    super();
  }
}
