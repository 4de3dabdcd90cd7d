import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { jobDecider } from '../../../domain/job/job.decider';
import { streams } from '../../../domain/shared/stream-names';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { RefusedResults } from '../../ports/refused-results.port';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { RefuseJobResultCommand } from './refuse-job-result.command';

@CommandHandler(RefuseJobResultCommand)
export class RefuseJobResultHandler implements ICommandHandler<RefuseJobResultCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly refused: RefusedResults,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: RefuseJobResultCommand): Promise<void> {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    await runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const now = this.clock.now();
      await this.refused.record(tx.manager, {
        ...c.origin,
        messageId: c.message.id,
        jobId: c.message.jobId,
        modelId: c.message.modelId,
        kind: c.message.kind,
        code: c.code,
        reason: c.reason,
        value: c.message.value,
        refusedAt: now,
      });
      const { jobId, attempt, id } = c.message;
      if (jobId === null || attempt === null) return;
      const job = await tx.state(streams.job(jobId), jobDecider);
      if (job.status === 'absent') return;
      await tx.decide(streams.job(jobId), jobDecider, {
        type: 'RefuseJobResult',
        data: {
          jobId,
          attempt,
          messageId: id ?? `${c.origin.topic}/${c.origin.partition}/${c.origin.offset}`,
          code: c.code,
          reason: c.reason.slice(0, 2000),
          now: now.toISOString(),
        },
      });
    });
  }
}
