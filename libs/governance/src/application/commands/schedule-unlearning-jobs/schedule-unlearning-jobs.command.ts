import { Command } from '@nestjs/cqrs';

export interface SchedulingSummary {
  readonly jobsOpened: number;
  readonly jobsDispatched: number;
}

/**
 * One pass of the scheduler: open a job for every model whose coalescing window has closed and
 * that has no job in flight (or resume an admin-retried job), and redispatch jobs whose backoff
 * has elapsed. The scheduler service sends it every tick; tests send it directly.
 */
export class ScheduleUnlearningJobsCommand extends Command<SchedulingSummary> {}
