import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { GovernanceError } from '../../../domain/governance.errors';
import { GetModelQuery, type ModelView } from './get-model.query';

@QueryHandler(GetModelQuery)
export class GetModelHandler implements IQueryHandler<GetModelQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(q: GetModelQuery): Promise<ModelView> {
    const [m] = await this.dataSource.query<
      {
        model_id: string;
        name: string;
        description: string | null;
        current_version: number;
        registered_at: Date;
        queued_request_ids: string[];
        in_flight_job_id: string | null;
        training: ModelView['training'];
        policy: Record<string, unknown> | null;
        policy_revision: number | null;
      }[]
    >(
      `SELECT *, state->'policy' AS policy, (state->>'policyRevision')::int AS policy_revision
         FROM gov_models_view WHERE model_id = $1`,
      [q.modelId],
    );
    if (!m)
      throw new GovernanceError('MODEL_NOT_FOUND', `model ${q.modelId} not found`, {
        modelId: q.modelId,
      });
    const versions = await this.dataSource.query<
      {
        version: number;
        parent_version: number | null;
        origin: string;
        job_id: string | null;
        dataset_ids: string[];
        record_count: number;
        digest: string;
        registered_at: Date;
        weights_digest: string | null;
        certificate_id: string | null;
        metrics: Record<string, number> | null;
      }[]
    >('SELECT * FROM gov_model_versions_view WHERE model_id = $1 ORDER BY version', [q.modelId]);
    const jobs = await this.dataSource.query<
      {
        job_id: string;
        status: string;
        attempt: number;
        n: number;
        reason: string | null;
        scheduled_at: Date;
      }[]
    >(
      `SELECT job_id, status, attempt, jsonb_array_length(request_ids) AS n, reason, scheduled_at
         FROM gov_jobs_view WHERE model_id = $1 ORDER BY scheduled_at DESC LIMIT 50`,
      [q.modelId],
    );
    return {
      modelId: m.model_id,
      name: m.name,
      description: m.description,
      currentVersion: m.current_version,
      registeredAt: m.registered_at.toISOString(),
      queuedRequestIds: m.queued_request_ids,
      inFlightJobId: m.in_flight_job_id,
      versions: versions.map((v) => ({
        version: v.version,
        parentVersion: v.parent_version,
        origin: v.origin,
        jobId: v.job_id,
        datasetIds: v.dataset_ids,
        recordCount: v.record_count,
        digest: v.digest,
        registeredAt: v.registered_at.toISOString(),
        weightsDigest: v.weights_digest,
        certificateId: v.certificate_id,
        metrics: v.metrics,
      })),
      training: m.training ?? null,
      policy: m.policy ? { revision: m.policy_revision ?? 0, ...m.policy } : null,
      jobs: jobs.map((j) => ({
        jobId: j.job_id,
        status: j.status,
        attempt: j.attempt,
        requestCount: j.n,
        reason: j.reason,
        scheduledAt: j.scheduled_at.toISOString(),
      })),
    };
  }
}
