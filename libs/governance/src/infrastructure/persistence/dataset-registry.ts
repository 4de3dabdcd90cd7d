import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DatasetRegistry } from '../../application/ports/dataset-registry.port';

/** Most dataset ids remembered as registered (past it, the memory starts again). */
const KNOWN_MAX = 10_000;

/**
 * The registry of datasets (write side, table gov_datasets). A dataset is never unregistered (no
 * code deletes from gov_datasets, and gov_records references it), so an id once found registered
 * stays registered: `existing` remembers those and asks PostgreSQL only about the others (intake
 * checks every scoped batch; ADR 0013). An id found missing is asked again next time, since it may
 * be registered meanwhile, here or by another replica.
 */
@Injectable()
export class PgDatasetRegistry implements DatasetRegistry {
  private readonly known = new Set<string>();

  constructor(private readonly dataSource: DataSource) {}

  /** Which of `datasetIds` are registered. */
  async existing(datasetIds: readonly string[]): Promise<ReadonlySet<string>> {
    const unique = [...new Set(datasetIds)];
    const unknown = unique.filter((d) => !this.known.has(d));
    const found = new Set(unique.filter((d) => this.known.has(d)));
    if (unknown.length === 0) return found;
    const rows = await this.dataSource.query<{ dataset_id: string }[]>(
      'SELECT dataset_id FROM gov_datasets WHERE dataset_id = ANY($1::text[])',
      [unknown],
    );
    if (this.known.size + rows.length > KNOWN_MAX) this.known.clear();
    for (const r of rows) {
      found.add(r.dataset_id);
      this.known.add(r.dataset_id);
    }
    return found;
  }

  async insert(manager: EntityManager, datasetId: string, name: string): Promise<void> {
    await manager.query('INSERT INTO gov_datasets (dataset_id, name) VALUES ($1, $2)', [
      datasetId,
      name,
    ]);
  }
}
