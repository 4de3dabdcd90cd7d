import { Command } from '@nestjs/cqrs';
import type { DatasetId } from '@lethe/shared';
import type { DatasetSourceRef } from '../../../domain/dataset/dataset.events';

export class RegisterDatasetCommand extends Command<{ datasetId: DatasetId }> {
  constructor(
    readonly datasetId: DatasetId,
    readonly name: string,
    readonly description: string | null,
    readonly actor: string,
    readonly correlationId: string,
    /** Where the worker reads the rows (validated descriptor); null when not given. */
    readonly source: DatasetSourceRef | null = null,
  ) {
    super();
  }
}
