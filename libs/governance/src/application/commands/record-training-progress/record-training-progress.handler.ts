import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { modelDecider } from '../../../domain/model/model.decider';
import { streams } from '../../../domain/shared/stream-names';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../../governance.options';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { RecordTrainingProgressCommand } from './record-training-progress.command';

/** One ModelTrainingProgressed event on the model's stream, or nothing (repeat, stale, too soon). */
@CommandHandler(RecordTrainingProgressCommand)
export class RecordTrainingProgressHandler implements ICommandHandler<RecordTrainingProgressCommand> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
  ) {}

  async execute(c: RecordTrainingProgressCommand) {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const { events } = await tx.decide(streams.model(c.modelId), modelDecider, {
        type: 'RecordTrainingProgress',
        data: {
          modelId: c.modelId,
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
