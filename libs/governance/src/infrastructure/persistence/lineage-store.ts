import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TrainingSetSummary } from '../../domain/model/model.events';
import type { RecordRef } from '../../domain/deletion-request/scope';
import { LineageStore, type TrainingMembership } from '../../application/ports/lineage-store.port';

/**
 * Lineage (write side): which records each model version was trained on (gov_training_records),
 * the current version of each model (gov_lineage_models), and per request the records each
 * affected model must forget (gov_request_records).
 */
@Injectable()
export class PgLineageStore implements LineageStore {
  /**
   * Records version `version` of `modelId` as trained on every record now in `datasetIds` plus
   * the listed `records` (which must exist). Returns the summary, or the refs that do not exist.
   */
  async recordTrainingSet(
    manager: EntityManager,
    modelId: string,
    version: number,
    datasetIds: readonly string[],
    records: readonly RecordRef[],
  ): Promise<{ summary: TrainingSetSummary; unknown: RecordRef[] }> {
    const refs = JSON.stringify(
      records.map((r) => ({ dataset_id: r.datasetId, record_id: r.recordId })),
    );
    const unknown = await manager.query<{ dataset_id: string; record_id: string }[]>(
      `SELECT t.dataset_id, t.record_id
         FROM jsonb_to_recordset($1::jsonb) AS t(dataset_id text, record_id text)
        WHERE NOT EXISTS (SELECT 1 FROM gov_records g
                           WHERE g.dataset_id = t.dataset_id AND g.record_id = t.record_id)`,
      [refs],
    );
    if (unknown.length > 0) {
      return {
        summary: { datasetIds: [], recordCount: 0, digest: '' },
        unknown: unknown.map((u) => ({ datasetId: u.dataset_id, recordId: u.record_id })),
      };
    }
    await manager.query(
      `INSERT INTO gov_training_records (model_id, version, dataset_id, record_id)
       SELECT $1::text, $2::int, dataset_id, record_id FROM gov_records WHERE dataset_id = ANY($3::text[])
       UNION
       SELECT $1::text, $2::int, t.dataset_id, t.record_id FROM jsonb_to_recordset($4::jsonb) AS t(dataset_id text, record_id text)
       ON CONFLICT DO NOTHING`,
      [modelId, version, [...datasetIds], refs],
    );
    await this.setCurrentVersion(manager, modelId, version);
    return { summary: await this.summary(manager, modelId, version), unknown: [] };
  }

  /** Version `to` = version `from` minus the records the given requests asked to forget. */
  async deriveVersionWithout(
    manager: EntityManager,
    modelId: string,
    from: number,
    to: number,
    requestIds: readonly string[],
  ): Promise<TrainingSetSummary> {
    await manager.query(
      `INSERT INTO gov_training_records (model_id, version, dataset_id, record_id)
       SELECT t.model_id, $3::int, t.dataset_id, t.record_id FROM gov_training_records t
        WHERE t.model_id = $1 AND t.version = $2
          AND NOT EXISTS (SELECT 1 FROM gov_request_records rr
                           WHERE rr.model_id = t.model_id AND rr.request_id = ANY($4::text[])
                             AND rr.dataset_id = t.dataset_id AND rr.record_id = t.record_id)
       ON CONFLICT DO NOTHING`,
      [modelId, from, to, [...requestIds]],
    );
    await this.setCurrentVersion(manager, modelId, to);
    return this.summary(manager, modelId, to);
  }

  /** Current-version training memberships of these records (which models a subject reaches). */
  async modelsTrainedOn(
    manager: EntityManager,
    records: readonly RecordRef[],
  ): Promise<TrainingMembership[]> {
    if (records.length === 0) return [];
    const rows = await manager.query<
      { model_id: string; version: number; dataset_id: string; record_id: string }[]
    >(
      `SELECT t.model_id, t.version, t.dataset_id, t.record_id
         FROM gov_training_records t
         JOIN gov_lineage_models m ON m.model_id = t.model_id AND m.current_version = t.version
         JOIN unnest($1::text[], $2::text[]) AS r(dataset_id, record_id)
           ON r.dataset_id = t.dataset_id AND r.record_id = t.record_id`,
      [records.map((r) => r.datasetId), records.map((r) => r.recordId)],
    );
    return rows.map((r) => ({
      modelId: r.model_id,
      version: r.version,
      datasetId: r.dataset_id,
      recordId: r.record_id,
    }));
  }

  async recordRequestRecords(
    manager: EntityManager,
    requestId: string,
    memberships: readonly TrainingMembership[],
  ): Promise<void> {
    if (memberships.length === 0) return;
    await manager.query(
      `INSERT INTO gov_request_records (request_id, model_id, dataset_id, record_id)
       SELECT $1::text, m, d, r FROM unnest($2::text[], $3::text[], $4::text[]) AS t(m, d, r)
       ON CONFLICT DO NOTHING`,
      [
        requestId,
        memberships.map((m) => m.modelId),
        memberships.map((m) => m.datasetId),
        memberships.map((m) => m.recordId),
      ],
    );
  }

  /** The datasets version `version` of the model was trained on (sorted). */
  async datasetsOf(manager: EntityManager, modelId: string, version: number): Promise<string[]> {
    const rows = await manager.query<{ dataset_id: string }[]>(
      `SELECT DISTINCT dataset_id FROM gov_training_records
        WHERE model_id = $1 AND version = $2 ORDER BY dataset_id`,
      [modelId, version],
    );
    return rows.map((r) => r.dataset_id);
  }

  /** The records a job on `modelId` must forget for these requests. */
  async recordsToForget(
    manager: EntityManager,
    modelId: string,
    requestIds: readonly string[],
  ): Promise<RecordRef[]> {
    const rows = await manager.query<{ dataset_id: string; record_id: string }[]>(
      `SELECT DISTINCT dataset_id, record_id FROM gov_request_records
        WHERE model_id = $1 AND request_id = ANY($2::text[])
        ORDER BY dataset_id, record_id`,
      [modelId, [...requestIds]],
    );
    return rows.map((r) => ({ datasetId: r.dataset_id, recordId: r.record_id }));
  }

  private async setCurrentVersion(
    manager: EntityManager,
    modelId: string,
    version: number,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO gov_lineage_models (model_id, current_version) VALUES ($1, $2)
       ON CONFLICT (model_id) DO UPDATE SET current_version = EXCLUDED.current_version`,
      [modelId, version],
    );
  }

  private async summary(
    manager: EntityManager,
    modelId: string,
    version: number,
  ): Promise<TrainingSetSummary> {
    const [row] = await manager.query<{ n: number; datasets: string[]; digest: string }[]>(
      `SELECT count(*)::int AS n,
              coalesce(array_agg(DISTINCT dataset_id ORDER BY dataset_id), '{}') AS datasets,
              'sha256:' || encode(sha256(convert_to(coalesce(string_agg(dataset_id || '/' || record_id, E'\\n'
                 ORDER BY dataset_id, record_id), ''), 'UTF8')), 'hex') AS digest
         FROM gov_training_records WHERE model_id = $1 AND version = $2`,
      [modelId, version],
    );
    return { datasetIds: row?.datasets ?? [], recordCount: row?.n ?? 0, digest: row?.digest ?? '' };
  }
}
