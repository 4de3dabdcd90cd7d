import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { jobDecider } from '../../../domain/job/job.decider';
import { streams } from '../../../domain/shared/stream-names';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../../governance.options';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { RecordJobProgressCommand } from './record-job-progress.command';

/** One UnlearningJobProgressed event on the job's stream, or nothing (repeat, stale, too soon). */
@CommandHandler(RecordJobProgressCommand)
export class RecordJobProgressHandler implements ICommandHandler<RecordJobProgressCommand> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
  ) {}

  async execute(c: RecordJobProgressCommand) {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const { events } = await tx.decide(streams.job(c.jobId), jobDecider, {
        type: 'RecordJobProgress',
        data: {
          jobId: c.jobId,
          attempt: c.attempt,
          progress: c.progress,
          minIntervalMs: this.options.results.progressIntervalMs,
          now: this.clock.now().toISOString(),
        },
      });
      return { recorded: events.length > 0 };
    });
  }
}
