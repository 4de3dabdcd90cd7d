import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../../governance.options';
import { ScheduleUnlearningJobsCommand } from './schedule-unlearning-jobs.command';

/** Sends ScheduleUnlearningJobsCommand every `scheduling.tickMs` (one pass at a time). */
@Injectable()
export class UnlearningSchedulerService
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('UnlearningScheduler');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.run.scheduler) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.tick().finally(() => {
        this.running = null;
      });
    }, this.options.scheduling.tickMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass; its log lines carry `scheduler:<uuid>` (each job's own lines carry `job:<id>`). */
  private tick(): Promise<void> {
    return RequestContextStore.run({ correlationId: `scheduler:${randomUUID()}` }, async () => {
      try {
        await this.commandBus.execute(new ScheduleUnlearningJobsCommand());
      } catch (e) {
        this.logger.error(`scheduling pass failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  }
}
