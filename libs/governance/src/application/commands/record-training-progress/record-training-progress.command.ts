import { Command } from '@nestjs/cqrs';
import type { JobId, ModelId } from '@lethe/shared';
import type { JobProgress } from '../../../domain/job/job.commands';

/**
 * A worker's public progress on attempt `attempt` of a model's training job (stage, done,
 * total), recorded on the model (`ModelTrainingProgressed`), deduplicated by `seq` and throttled
 * per stage like a job's progress (docs/adr/0010-job-results.md).
 */
export class RecordTrainingProgressCommand extends Command<{ recorded: boolean }> {
  constructor(
    readonly modelId: ModelId,
    readonly jobId: JobId,
    readonly attempt: number,
    readonly progress: JobProgress,
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
