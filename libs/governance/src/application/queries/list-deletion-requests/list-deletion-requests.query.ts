import { Query } from '@nestjs/cqrs';
import type { RequestStatus } from '../../../domain/deletion-request/deletion-request.state';
import type { DeletionRequestView } from '../get-deletion-request/deletion-request.view';

/** A listed request: its view without the history (GET /v1/deletion-requests/:id has it). */
export type DeletionRequestSummary = Omit<DeletionRequestView, 'history'>;

export interface DeletionRequestPage {
  readonly items: readonly DeletionRequestSummary[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface DeletionRequestFilters {
  readonly statuses?: readonly RequestStatus[];
  /** true: past the deadline and not settled; false: the others. */
  readonly overdue?: boolean;
  /** Any of these sources (a bound publisher's are always applied). */
  readonly sources?: readonly string[];
  /** Deadline strictly before this instant. */
  readonly deadlineBefore?: Date;
  /** The opaque cursor of the previous page. */
  readonly cursor?: string;
  readonly limit: number;
}

/** Deletion requests in the order they were received (received_at, request_id), filtered. */
export class ListDeletionRequestsQuery extends Query<DeletionRequestPage> {
  constructor(readonly filters: DeletionRequestFilters) {
    super();
  }
}
