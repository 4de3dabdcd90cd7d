import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { GovernanceError } from '../../../domain/governance.errors';
import type {
  ModelProgress,
  RequestStatus,
} from '../../../domain/deletion-request/deletion-request.state';
import { CLOCK, type Clock } from '../../ports/clock.port';
import type { HistoryEntry } from '../../projections/state-view.projection';
import { isOverdue, type DeletionRequestView } from './deletion-request.view';
import { GetDeletionRequestQuery } from './get-deletion-request.query';

interface Row {
  request_id: string;
  source_event_id: string;
  source: string;
  channel: string;
  subject_ref: string;
  legal_basis: string;
  status: RequestStatus;
  reason: string | null;
  requested_at: Date;
  received_at: Date;
  deadline: Date;
  deadline_basis: string;
  completed_at: Date | null;
  records_erased: boolean;
  models: ModelProgress[];
  history: HistoryEntry[];
}

/** Reads the projection (eventually consistent: a request appears once the projector has run). */
@QueryHandler(GetDeletionRequestQuery)
export class GetDeletionRequestHandler implements IQueryHandler<GetDeletionRequestQuery> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(q: GetDeletionRequestQuery): Promise<DeletionRequestView> {
    const [row] = await this.dataSource.query<Row[]>(
      'SELECT * FROM gov_deletion_requests_view WHERE request_id = $1',
      [q.requestId],
    );
    if (!row) {
      throw new GovernanceError('REQUEST_NOT_FOUND', `deletion request ${q.requestId} not found`, {
        requestId: q.requestId,
      });
    }
    const deadline = row.deadline.toISOString();
    return {
      requestId: row.request_id,
      sourceEventId: row.source_event_id,
      source: row.source,
      channel: row.channel,
      subjectRef: row.subject_ref,
      legalBasis: row.legal_basis,
      status: row.status,
      reason: row.reason,
      requestedAt: row.requested_at.toISOString(),
      receivedAt: row.received_at.toISOString(),
      deadline,
      deadlineBasis: row.deadline_basis,
      overdue: isOverdue(row.status, deadline, this.clock.now()),
      completedAt: row.completed_at?.toISOString() ?? null,
      recordsErased: row.records_erased,
      models: row.models,
      certificateIds: row.models.flatMap((m) => (m.certificateId ? [m.certificateId] : [])),
      history: row.history,
    };
  }
}
