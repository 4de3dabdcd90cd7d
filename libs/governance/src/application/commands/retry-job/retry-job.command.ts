import { Command } from '@nestjs/cqrs';
import type { JobId } from '@lethe/shared';

/** An admin retries a job that ended `failed`: a new round of attempts, requests back to scheduled. */
export class RetryJobCommand extends Command<{ jobId: JobId; status: 'awaiting-dispatch' }> {
  constructor(
    readonly jobId: JobId,
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
