import { Command } from '@nestjs/cqrs';
import type { DatasetId } from '@lethe/shared';
import type { DatasetRecordDto } from './add-dataset-records.dto';

/** Adds one chunk of records to a dataset (the HTTP door streams a body as several chunks). */
export class AddDatasetRecordsCommand extends Command<{ added: number; unchanged: number }> {
  constructor(
    readonly datasetId: DatasetId,
    readonly records: readonly DatasetRecordDto[],
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
