import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { datasetDecider } from '../../../domain/dataset/dataset.decider';
import { streams } from '../../../domain/shared/stream-names';
import { DatasetRegistry } from '../../ports/dataset-registry.port';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { RegisterDatasetCommand } from './register-dataset.command';

@CommandHandler(RegisterDatasetCommand)
export class RegisterDatasetHandler implements ICommandHandler<RegisterDatasetCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: DatasetRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: RegisterDatasetCommand) {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    await runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      await tx.decide(streams.dataset(c.datasetId), datasetDecider, {
        type: 'RegisterDataset',
        data: {
          datasetId: c.datasetId,
          name: c.name,
          description: c.description,
          ...(c.source === null ? {} : { source: c.source }),
          now: this.clock.now().toISOString(),
        },
      });
      await this.registry.insert(tx.manager, c.datasetId, c.name);
    });
    return { datasetId: c.datasetId };
  }
}
