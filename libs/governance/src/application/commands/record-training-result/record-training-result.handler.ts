import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { modelDecider } from '../../../domain/model/model.decider';
import { streams } from '../../../domain/shared/stream-names';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../../governance.options';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { RecordTrainingResultCommand } from './record-training-result.command';

/**
 * The model's decider takes the result (the lineage rows of the version were written when the
 * training was scheduled, with the same training set).
 */
@CommandHandler(RecordTrainingResultCommand)
export class RecordTrainingResultHandler implements ICommandHandler<RecordTrainingResultCommand> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
  ) {}

  async execute(c: RecordTrainingResultCommand) {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const { events } = await tx.decide(streams.model(c.modelId), modelDecider, {
        type: 'RecordTrainingResult',
        data: {
          modelId: c.modelId,
          jobId: c.jobId,
          attempt: c.attempt,
          outcome: c.outcome,
          now: this.clock.now().toISOString(),
          // A retryable failure is sent again after a backoff, as an unlearning job is.
          retry: {
            maxAttempts: this.options.scheduling.maxAttempts,
            backoff: this.options.scheduling.backoff,
          },
        },
      });
      return { modelId: c.modelId, recorded: events.length > 0 };
    });
  }
}
