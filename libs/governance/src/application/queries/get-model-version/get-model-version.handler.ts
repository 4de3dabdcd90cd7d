import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { ModelVersionRecord } from '@lethe/unlearning/application/ports/model-store.port';
import type { ModelId } from '@lethe/shared';
import { GovernanceError } from '../../../domain/governance.errors';
import { MODEL_VERSION_STORE, type ModelVersionStore } from '../../ports/model-version-store.port';
import {
  GetModelVersionQuery,
  GetModelWeightsQuery,
  type ModelVersionView,
  type ModelWeightsFile,
} from './get-model-version.query';

interface VersionRow {
  origin: string;
  parent_version: number | null;
  job_id: string | null;
  dataset_ids: string[];
  record_count: number;
  digest: string;
  weights_digest: string | null;
  certificate_id: string | null;
  metrics: Record<string, number> | null;
  registered_at: Date;
}

const notFound = (modelId: string, version: number, why: string) =>
  new GovernanceError(
    'MODEL_VERSION_NOT_FOUND',
    `model ${modelId} has no released version ${version} ${why}`,
    { modelId, version },
  );

async function storedVersion(
  store: ModelVersionStore | null,
  modelId: ModelId,
  version: number,
): Promise<ModelVersionRecord> {
  if (!store) throw notFound(modelId, version, '(no model store is configured)');
  const record = await store.getVersion(modelId, version);
  if (!record) throw notFound(modelId, version, 'in the model store');
  return record;
}

@QueryHandler(GetModelVersionQuery)
export class GetModelVersionHandler implements IQueryHandler<GetModelVersionQuery> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(MODEL_VERSION_STORE) private readonly store: ModelVersionStore | null,
  ) {}

  async execute(q: GetModelVersionQuery): Promise<ModelVersionView> {
    const record = await storedVersion(this.store, q.modelId, q.version);
    const [row] = await this.dataSource.query<VersionRow[]>(
      'SELECT * FROM gov_model_versions_view WHERE model_id = $1 AND version = $2',
      [q.modelId, q.version],
    );
    const certificateIds = [
      ...new Set([...record.certificateIds, ...(row?.certificate_id ? [row.certificate_id] : [])]),
    ].sort();
    return {
      modelId: record.modelId,
      version: record.version,
      digest: record.digest,
      parentDigest: record.parentDigest,
      sizeBytes: record.sizeBytes,
      format: record.format,
      trainingProfile: record.trainingProfile as unknown as Record<string, unknown>,
      storedAt: record.storedAt,
      certificateIds,
      lineage: row
        ? {
            origin: row.origin,
            parentVersion: row.parent_version,
            jobId: row.job_id,
            datasetIds: row.dataset_ids,
            recordCount: row.record_count,
            trainingSetDigest: row.digest,
            weightsDigest: row.weights_digest,
            metrics: row.metrics,
            registeredAt: row.registered_at.toISOString(),
          }
        : null,
    };
  }
}

@QueryHandler(GetModelWeightsQuery)
export class GetModelWeightsHandler implements IQueryHandler<GetModelWeightsQuery> {
  constructor(@Inject(MODEL_VERSION_STORE) private readonly store: ModelVersionStore | null) {}

  async execute(q: GetModelWeightsQuery): Promise<ModelWeightsFile> {
    const record = await storedVersion(this.store, q.modelId, q.version);
    // readWeights re-hashes the blob: corrupt bytes are refused (MODEL_STORE_BLOB_CORRUPT).
    const bytes = await this.store!.readWeights(record.digest);
    return { modelId: record.modelId, version: record.version, digest: record.digest, bytes };
  }
}
