import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { GovernanceError } from '../../../domain/governance.errors';
import type { JobProgressView } from '../../../domain/job/job.state';
import { CLOCK, type Clock } from '../../ports/clock.port';
import {
  deletionRequestViewOf,
  type DeletionRequestRow,
  type DeletionRequestView,
} from './deletion-request.view';
import { GetDeletionRequestQuery } from './get-deletion-request.query';

/** Reads the projection (eventually consistent: a request appears once the projector has run). */
@QueryHandler(GetDeletionRequestQuery)
export class GetDeletionRequestHandler implements IQueryHandler<GetDeletionRequestQuery> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(q: GetDeletionRequestQuery): Promise<DeletionRequestView> {
    const [row] = await this.dataSource.query<DeletionRequestRow[]>(
      'SELECT * FROM gov_deletion_requests_view WHERE request_id = $1',
      [q.requestId],
    );
    if (!row) {
      throw new GovernanceError('REQUEST_NOT_FOUND', `deletion request ${q.requestId} not found`, {
        requestId: q.requestId,
      });
    }
    // Job progress (epochs, LiSSA/CG iterations) comes from the jobs' read model.
    const jobIds = row.models.flatMap((m) => (m.jobId ? [m.jobId] : []));
    const progress =
      jobIds.length === 0
        ? []
        : await this.dataSource.query<{ job_id: string; progress: JobProgressView | null }[]>(
            'SELECT job_id, progress FROM gov_jobs_view WHERE job_id = ANY($1::text[])',
            [jobIds],
          );
    return deletionRequestViewOf(
      row,
      this.clock.now(),
      new Map(progress.map((p) => [p.job_id, p.progress])),
    );
  }
}
