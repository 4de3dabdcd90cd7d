import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../../governance.options';
import { DataSource } from 'typeorm';
import { GovernanceError } from '../../../domain/governance.errors';
import type { JobProgressView, JobRefusal } from '../../../domain/job/job.state';
import { policyChoiceReason, type PolicyChoice } from '../../../domain/shared/policy-choice';
import { GetJobQuery, type JobView } from './get-job.query';

@QueryHandler(GetJobQuery)
export class GetJobHandler implements IQueryHandler<GetJobQuery> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
  ) {}

  async execute(q: GetJobQuery): Promise<JobView> {
    const [j] = await this.dataSource.query<
      {
        job_id: string;
        model_id: string;
        status: string;
        attempt: number;
        attempts_in_round: number;
        max_attempts: number;
        base_version: number;
        request_ids: string[];
        next_attempt_at: Date | null;
        reason: string | null;
        version_after: number | null;
        certificate_id: string | null;
        scheduled_at: Date;
        history: unknown[];
        progress: JobProgressView | null;
        last_refusal: JobRefusal | null;
        /** The job's state; rows of jobs settled before `method`/`policy` existed lack them. */
        state: { method?: string | null; policy?: PolicyChoice | null };
      }[]
    >('SELECT * FROM gov_jobs_view WHERE job_id = $1', [q.jobId]);
    if (!j) return this.trainingJob(q);
    const policy = j.state.policy ?? null;
    return {
      kind: 'unlearning',
      jobId: j.job_id,
      modelId: j.model_id,
      status: j.status,
      attempt: j.attempt,
      attemptsInRound: j.attempts_in_round,
      maxAttempts: j.max_attempts,
      baseVersion: j.base_version,
      requestIds: j.request_ids,
      nextAttemptAt: j.next_attempt_at?.toISOString() ?? null,
      reason: j.reason,
      versionAfter: j.version_after,
      certificateId: j.certificate_id,
      method: j.state.method ?? null,
      policy: policy && { ...policy, reason: policyChoiceReason(policy) },
      scheduledAt: j.scheduled_at.toISOString(),
      history: j.history,
      progress: j.progress ?? null,
      lastRefusal: j.last_refusal ?? null,
    };
  }

  /** A model's training job (kept on the model's stream): its status, attempt and progress. */
  private async trainingJob(q: GetJobQuery): Promise<JobView> {
    const [m] = await this.dataSource.query<
      {
        model_id: string;
        registered_at: Date;
        training: {
          jobId: string;
          version: number;
          status: string;
          reason: string | null;
          attempt?: number;
          nextAttemptAt?: string | null;
          progress?: JobProgressView | null;
        };
        max_attempts: number | null;
      }[]
    >(
      `SELECT model_id, registered_at, training FROM gov_models_view WHERE training->>'jobId' = $1`,
      [q.jobId],
    );
    if (!m) {
      throw new GovernanceError('JOB_NOT_FOUND', `job ${q.jobId} not found`, { jobId: q.jobId });
    }
    const t = m.training;
    return {
      kind: 'training',
      jobId: t.jobId,
      modelId: m.model_id,
      status: t.status,
      attempt: t.attempt ?? 1,
      attemptsInRound: t.attempt ?? 1,
      maxAttempts: this.options.scheduling.maxAttempts,
      baseVersion: 0,
      versionToTrain: t.version,
      requestIds: [],
      nextAttemptAt: t.nextAttemptAt ?? null,
      reason: t.reason,
      versionAfter: t.status === 'trained' ? t.version : null,
      certificateId: null,
      method: null,
      policy: null,
      scheduledAt: m.registered_at.toISOString(),
      history: [],
      progress: t.progress ?? null,
      lastRefusal: null,
    };
  }
}
