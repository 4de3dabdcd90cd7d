import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DatasetRegistry } from '../../application/ports/dataset-registry.port';

/** The registry of datasets (write side, table gov_datasets). */
@Injectable()
export class PgDatasetRegistry implements DatasetRegistry {
  constructor(private readonly dataSource: DataSource) {}

  /** Which of `datasetIds` are registered. */
  async existing(datasetIds: readonly string[]): Promise<ReadonlySet<string>> {
    const unique = [...new Set(datasetIds)];
    if (unique.length === 0) return new Set();
    const rows = await this.dataSource.query<{ dataset_id: string }[]>(
      'SELECT dataset_id FROM gov_datasets WHERE dataset_id = ANY($1::text[])',
      [unique],
    );
    return new Set(rows.map((r) => r.dataset_id));
  }

  async insert(manager: EntityManager, datasetId: string, name: string): Promise<void> {
    await manager.query('INSERT INTO gov_datasets (dataset_id, name) VALUES ($1, $2)', [
      datasetId,
      name,
    ]);
  }
}
