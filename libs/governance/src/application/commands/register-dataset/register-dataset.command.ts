import { Command } from '@nestjs/cqrs';
import type { DatasetId } from '@lethe/shared';

export class RegisterDatasetCommand extends Command<{ datasetId: DatasetId }> {
  constructor(
    readonly datasetId: DatasetId,
    readonly name: string,
    readonly description: string | null,
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
