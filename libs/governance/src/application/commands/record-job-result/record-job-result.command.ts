import { Command } from '@nestjs/cqrs';
import type { JobId } from '@lethe/shared';
import type { JobResult } from '../../../domain/job/job.commands';
import type { JobStatus } from '../../../domain/job/job.state';

/**
 * What a worker reported about attempt `attempt` of a job. The later result consumer
 * (lethe.unlearning-results.v1, after signature checks) sends this command; redelivered results
 * change nothing.
 */
export class RecordJobResultCommand extends Command<{ jobId: JobId; status: JobStatus }> {
  constructor(
    readonly jobId: JobId,
    readonly attempt: number,
    readonly result: JobResult,
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
