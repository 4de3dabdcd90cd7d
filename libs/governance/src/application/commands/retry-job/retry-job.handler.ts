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
import { ModelId } from '@lethe/shared';
import type { MetadataContext } from '@lethe/event-store';
import { RecordsStore } from '../../ports/records-store.port';
import { retryTrainingIn } from '../../messages/training-job-dispatch';
import { jobsView } from '../../projections/jobs.projection';
import { modelsInlineView } from '../../projections/models.projection';
import { deletionRequestsView } from '../../projections/deletion-requests.projection';

const jobsInlineView = jobsView();
const requestsInlineView = deletionRequestsView();

/** Job → awaiting dispatch; model → job requeued (takes the slot before new work); requests → scheduled. */
@CommandHandler(RetryJobCommand)
export class RetryJobHandler implements ICommandHandler<RetryJobCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly records: RecordsStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: RetryJobCommand) {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    // A model's training job has no job stream: it is retried on the model (attempt + 1).
    const [training] = await this.dataSource.query<{ model_id: string }[]>(
      `SELECT model_id FROM gov_models_view WHERE training->>'jobId' = $1`,
      [c.jobId],
    );
    if (training) return this.retryTraining(ModelId(training.model_id), c, meta);
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
      // Inline read models: once this answers, GET shows the job awaiting dispatch, the model's
      // requeued job and its requests scheduled again (ADR 0005).
      await jobsInlineView.catchUp(tx.manager, [streams.job(c.jobId).streamId]);
      await modelsInlineView.catchUp(tx.manager, [streams.model(modelId).streamId]);
      await requestsInlineView.catchUp(
        tx.manager,
        state.requestIds.map((r) => streams.deletionRequest(r).streamId),
      );
      return { jobId: c.jobId, status: 'awaiting-dispatch' as const };
    });
  }

  /** RetryTraining on the model and the next attempt's training job in the outbox, one transaction. */
  private retryTraining(modelId: ModelId, c: RetryJobCommand, meta: MetadataContext) {
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const now = this.clock.now().toISOString();
      const message = await retryTrainingIn(tx, this.records, modelId, c.jobId, c.actor, now);
      if (!message) throw new Error('unreachable: an admin retry always dispatches');
      await modelsInlineView.catchUp(tx.manager, [streams.model(modelId).streamId]);
      return { jobId: c.jobId, status: 'awaiting-dispatch' as const };
    });
  }
}
