import type {
  RequestStatus,
  ModelProgress,
} from '../../../domain/deletion-request/deletion-request.state';
import type { HistoryEntry } from '../../projections/state-view.projection';

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
  readonly models: readonly ModelProgress[];
  readonly certificateIds: readonly string[];
  readonly history: readonly HistoryEntry[];
}

/** Overdue: past the deadline and not settled (certified, no-records, rejected settle a request). */
export const isOverdue = (status: RequestStatus, deadline: string, now: Date): boolean =>
  !['certified', 'no-records', 'rejected'].includes(status) && Date.parse(deadline) < now.getTime();
