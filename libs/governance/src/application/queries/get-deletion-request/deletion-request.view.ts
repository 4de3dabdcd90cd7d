import type {
  RequestStatus,
  ModelProgress,
} from '../../../domain/deletion-request/deletion-request.state';
import type { JobProgressView } from '../../../domain/job/job.state';
import type { HistoryEntry } from '../../projections/state-view.projection';

/** A row of `gov_deletion_requests_view` as `SELECT *` returns it. */
export interface DeletionRequestRow {
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

/** GET /v1/deletion-requests/:id (no raw subject id: only its pseudonymous reference). */
export interface DeletionRequestView {
  readonly requestId: string;
  readonly sourceEventId: string;
  readonly source: string;
  readonly channel: string;
  readonly subjectRef: string;
  readonly legalBasis: string;
  readonly status: RequestStatus;
  readonly reason: string | null;
  readonly requestedAt: string;
  readonly receivedAt: string;
  readonly deadline: string;
  readonly deadlineBasis: string;
  readonly overdue: boolean;
  readonly completedAt: string | null;
  readonly recordsErased: boolean;
  /**
   * Per affected model; `method` and `reason` of an unlearned one: the certificate's method and
   * why the policy chose it; `jobProgress`: the latest progress of its job's current attempt.
   */
  readonly models: readonly (ModelProgress & { readonly jobProgress?: JobProgressView | null })[];
  readonly certificateIds: readonly string[];
  /** Per event: version, type, time, status; `modelId`, `method`, `reason` where the event says. */
  readonly history: readonly HistoryEntry[];
}

/** Overdue: past the deadline and not settled (certified, no-records, rejected settle a request). */
export const isOverdue = (status: RequestStatus, deadline: string, now: Date): boolean =>
  !['certified', 'no-records', 'rejected'].includes(status) && Date.parse(deadline) < now.getTime();

/** The view of one read-model row at `now`. */
export const deletionRequestViewOf = (
  row: DeletionRequestRow,
  now: Date,
  progressByJob?: ReadonlyMap<string, JobProgressView | null>,
): DeletionRequestView => {
  const deadline = row.deadline.toISOString();
  // Rows written before `method` existed lack it.
  const models = row.models.map((m) => ({ ...m, method: m.method ?? null }));
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
    overdue: isOverdue(row.status, deadline, now),
    completedAt: row.completed_at?.toISOString() ?? null,
    recordsErased: row.records_erased,
    models: progressByJob
      ? models.map((m) => ({
          ...m,
          jobProgress: m.jobId === null ? null : (progressByJob.get(m.jobId) ?? null),
        }))
      : models,
    certificateIds: row.models.flatMap((m) => (m.certificateId ? [m.certificateId] : [])),
    history: row.history,
  };
};

/**
 * What a publisher sees of a request it sent: where it stands, not whom it is about or how it went
 * through the models (that is for compliance).
 */
export type DeletionRequestReceipt = Pick<
  DeletionRequestView,
  | 'requestId'
  | 'sourceEventId'
  | 'source'
  | 'channel'
  | 'status'
  | 'requestedAt'
  | 'receivedAt'
  | 'deadline'
  | 'deadlineBasis'
  | 'overdue'
  | 'completedAt'
>;

export const receiptOf = (v: DeletionRequestView): DeletionRequestReceipt => ({
  requestId: v.requestId,
  sourceEventId: v.sourceEventId,
  source: v.source,
  channel: v.channel,
  status: v.status,
  requestedAt: v.requestedAt,
  receivedAt: v.receivedAt,
  deadline: v.deadline,
  deadlineBasis: v.deadlineBasis,
  overdue: v.overdue,
  completedAt: v.completedAt,
});
