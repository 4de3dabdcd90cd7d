import { Command } from '@nestjs/cqrs';
import type { JobId } from '@lethe/shared';
import type { JobProgress } from '../../../domain/job/job.commands';

/**
 * A worker's public progress on attempt `attempt` of a job (stage, done, total). Deduplicated by
 * `seq` and throttled per stage (docs/adr/0010-job-results.md); `recorded` says whether it became
 * an event.
 */
export class RecordJobProgressCommand extends Command<{ recorded: boolean }> {
  constructor(
    readonly jobId: JobId,
    readonly attempt: number,
    readonly progress: JobProgress,
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
