import type { EntityManager } from 'typeorm';
import type { RecordRef } from '../../domain/deletion-request/scope';
import type { TrainingSetSummary } from '../../domain/model/model.events';

export interface TrainingMembership extends RecordRef {
  readonly modelId: string;
  readonly version: number;
}

/**
 * Lineage: which records each model version was trained on, each model's current version, and per
 * request the records each affected model must forget. Methods take the caller's transaction.
 */
export abstract class LineageStore {
  /** Version `version` trained on every record now in `datasetIds` plus `records` (which must exist). */
  abstract recordTrainingSet(
    manager: EntityManager,
    modelId: string,
    version: number,
    datasetIds: readonly string[],
    records: readonly RecordRef[],
  ): Promise<{ summary: TrainingSetSummary; unknown: RecordRef[] }>;

  /** Version `to` = version `from` minus the records the given requests asked to forget. */
  abstract deriveVersionWithout(
    manager: EntityManager,
    modelId: string,
    from: number,
    to: number,
    requestIds: readonly string[],
  ): Promise<TrainingSetSummary>;

  /** Current-version training memberships of these records. */
  abstract modelsTrainedOn(
    manager: EntityManager,
    records: readonly RecordRef[],
  ): Promise<TrainingMembership[]>;

  abstract recordRequestRecords(
    manager: EntityManager,
    requestId: string,
    memberships: readonly TrainingMembership[],
  ): Promise<void>;

  /** The datasets version `version` of the model was trained on (sorted). */
  abstract datasetsOf(manager: EntityManager, modelId: string, version: number): Promise<string[]>;
  /** The records a job on `modelId` must forget for these requests. */
  abstract recordsToForget(
    manager: EntityManager,
    modelId: string,
    requestIds: readonly string[],
  ): Promise<RecordRef[]>;
}
