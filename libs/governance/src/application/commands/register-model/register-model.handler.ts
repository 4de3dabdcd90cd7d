import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { ModelEvent } from '../../../domain/model/model.events';
import { GovernanceError } from '../../../domain/governance.errors';
import { modelDecider } from '../../../domain/model/model.decider';
import { streams } from '../../../domain/shared/stream-names';
import { DatasetRegistry } from '../../ports/dataset-registry.port';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { jobDatasetsOf } from '../../messages/job-datasets';
import { LineageStore } from '../../ports/lineage-store.port';
import { RecordsStore } from '../../ports/records-store.port';
import { newJobId } from '../../ids';
import { metadataFor } from '../../metadata';
import { trainingJobDispatch } from '../../messages/training-job-dispatch';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { validateModelProfile } from '../../model-profile';
import { RegisterModelCommand } from './register-model.command';
import { decidedEvents } from '../../projections/decided-events';
import { modelsInlineView } from '../../projections/models.projection';

/**
 * Lineage rows of version 1 and the model's events, one transaction. When every dataset the
 * model names has a registered source, Lethe trains version 1: ModelTrainingScheduled and the
 * `lethe.training.job.v1` message in the outbox, in that same transaction (the version is
 * registered when the worker's `trained` result arrives). Otherwise ModelRegistered +
 * ModelVersionRegistered (trained elsewhere), as before.
 */
@CommandHandler(RegisterModelCommand)
export class RegisterModelHandler implements ICommandHandler<RegisterModelCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly datasets: DatasetRegistry,
    private readonly lineage: LineageStore,
    private readonly records: RecordsStore,
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
    // The profile is validated with the worker's schema before anything is recorded.
    const profile = Object.keys(c.profile).length > 0 ? validateModelProfile(c.profile) : null;
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const records = c.training.records ?? [];
      const { summary, unknown: missing } = await this.lineage.recordTrainingSet(
        tx.manager,
        c.modelId,
        1,
        datasetIds,
        records,
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
      const allDatasetIds = [
        ...new Set([...datasetIds, ...records.map((r) => r.datasetId)]),
      ].sort();
      const sources = await jobDatasetsOf(tx, allDatasetIds);
      const trainedByLethe = sources.some((s) => s.source !== null);
      if (trainedByLethe) {
        const missingSource = sources.filter((s) => s.source === null).map((s) => s.datasetId);
        if (missingSource.length > 0) {
          throw new GovernanceError(
            'TRAINING_SOURCE_MISSING',
            `Lethe trains a model only on datasets with a registered source; ` +
              `${missingSource.join(', ')} ha${missingSource.length === 1 ? 's' : 've'} none`,
            { datasetIds: missingSource },
          );
        }
      }
      const now = this.clock.now().toISOString();
      const trainingRecords = records.map((r) => ({
        datasetId: r.datasetId,
        recordId: r.recordId,
      }));
      const jobId = trainedByLethe ? newJobId() : null;
      const target = streams.model(c.modelId);
      const decided = await tx.decide(target, modelDecider, {
        type: 'RegisterModel',
        data: {
          modelId: c.modelId,
          name: c.name,
          description: c.description,
          trainingSet: summary,
          now,
          ...(jobId === null
            ? {}
            : { training: { jobId, datasetIds: allDatasetIds, records: trainingRecords } }),
          ...(profile === null ? {} : { profile: profile.profile, policy: profile.policy }),
        },
      });
      // Inline read model: the new model is readable when this transaction commits (ADR 0005).
      // (Registration only ever starts a stream: the decider refuses a registered model.)
      await modelsInlineView.writeNewStreams(
        tx.manager,
        decidedEvents<ModelEvent>(tx, target.streamId, decided),
      );
      if (jobId !== null) {
        // Rows of erased subjects may still be in the sources: the worker must never read them.
        tx.enqueue([
          await trainingJobDispatch(tx, this.records, {
            jobId,
            modelId: c.modelId,
            attempt: 1,
            datasetIds: allDatasetIds,
            records: trainingRecords,
            profile: c.profile,
            now,
          }),
        ]);
      }
      return {
        modelId: c.modelId,
        version: jobId === null ? 1 : 0,
        trainingSet: summary,
        trainingJobId: jobId,
      };
    });
  }
}
