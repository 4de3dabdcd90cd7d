import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { deletionRequestDecider } from '../../../domain/deletion-request/deletion-request.decider';
import { jobDecider } from '../../../domain/job/job.decider';
import { modelDecider } from '../../../domain/model/model.decider';
import { streams } from '../../../domain/shared/stream-names';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { RetryJobCommand } from './retry-job.command';

/** Job → awaiting dispatch; model → job requeued (takes the slot before new work); requests → scheduled. */
@CommandHandler(RetryJobCommand)
export class RetryJobHandler implements ICommandHandler<RetryJobCommand> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: RetryJobCommand) {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const now = this.clock.now().toISOString();
      const { state } = await tx.decide(streams.job(c.jobId), jobDecider, {
        type: 'RetryJob',
        data: { jobId: c.jobId, requestedBy: c.actor, now },
      });
      if (state.status === 'absent')
        throw new Error('unreachable: job decider accepted an absent job');
      const { modelId } = state;
      await tx.decide(streams.model(modelId), modelDecider, {
        type: 'RequeueUnlearningJob',
        data: { modelId, jobId: c.jobId, now },
      });
      for (const requestId of state.requestIds) {
        await tx.decide(streams.deletionRequest(requestId), deletionRequestDecider, {
          type: 'RetryUnlearning',
          data: { requestId, modelId, jobId: c.jobId, now },
        });
      }
      return { jobId: c.jobId, status: 'awaiting-dispatch' as const };
    });
  }
}
