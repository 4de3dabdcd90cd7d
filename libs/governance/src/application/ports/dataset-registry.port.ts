import type { EntityManager } from 'typeorm';

/** The registry of datasets (intake checks `scope.datasetIds` against it). */
export abstract class DatasetRegistry {
  /** Which of `datasetIds` are registered. */
  abstract existing(datasetIds: readonly string[]): Promise<ReadonlySet<string>>;
  abstract insert(manager: EntityManager, datasetId: string, name: string): Promise<void>;
}
