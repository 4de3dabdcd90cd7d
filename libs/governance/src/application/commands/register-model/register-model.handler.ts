import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { GovernanceError } from '../../../domain/governance.errors';
import { modelDecider } from '../../../domain/model/model.decider';
import { streams } from '../../../domain/shared/stream-names';
import { DatasetRegistry } from '../../ports/dataset-registry.port';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { LineageStore } from '../../ports/lineage-store.port';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { RegisterModelCommand } from './register-model.command';

/** Lineage rows of version 1 and the ModelRegistered + ModelVersionRegistered events, one transaction. */
@CommandHandler(RegisterModelCommand)
export class RegisterModelHandler implements ICommandHandler<RegisterModelCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly datasets: DatasetRegistry,
    private readonly lineage: LineageStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: RegisterModelCommand) {
    const datasetIds = [...new Set(c.training.datasetIds ?? [])];
    const known = await this.datasets.existing(datasetIds);
    const unknown = datasetIds.filter((d) => !known.has(d));
    if (unknown.length > 0) {
      throw new GovernanceError('UNKNOWN_DATASET', `unknown dataset(s): ${unknown.join(', ')}`, {
        datasetIds: unknown,
      });
    }
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const { summary, unknown: missing } = await this.lineage.recordTrainingSet(
        tx.manager,
        c.modelId,
        1,
        datasetIds,
        c.training.records ?? [],
      );
      if (missing.length > 0) {
        throw new GovernanceError(
          'UNKNOWN_RECORD',
          `${missing.length} training record(s) do not exist`,
          {
            records: missing.slice(0, 20),
          },
        );
      }
      await tx.decide(streams.model(c.modelId), modelDecider, {
        type: 'RegisterModel',
        data: {
          modelId: c.modelId,
          name: c.name,
          description: c.description,
          trainingSet: summary,
          now: this.clock.now().toISOString(),
        },
      });
      return { modelId: c.modelId, version: 1, trainingSet: summary };
    });
  }
}
