import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { GovernanceError } from '../../../domain/governance.errors';
import type { JobProgressView, JobRefusal } from '../../../domain/job/job.state';
import { GetJobQuery, type JobView } from './get-job.query';

@QueryHandler(GetJobQuery)
export class GetJobHandler implements IQueryHandler<GetJobQuery> {
  constructor(private readonly dataSource: DataSource) {}

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
      }[]
    >('SELECT * FROM gov_jobs_view WHERE job_id = $1', [q.jobId]);
    if (!j)
      throw new GovernanceError('JOB_NOT_FOUND', `unlearning job ${q.jobId} not found`, {
        jobId: q.jobId,
      });
    return {
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
      scheduledAt: j.scheduled_at.toISOString(),
      history: j.history,
      progress: j.progress ?? null,
      lastRefusal: j.last_refusal ?? null,
    };
  }
}
