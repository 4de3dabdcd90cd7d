import { Query } from '@nestjs/cqrs';
import type { DeletionRequestView } from '../get-deletion-request/deletion-request.view';

/** The deletion request that the CloudEvent (`source`, `id`) made (its idempotency key). */
export class FindDeletionRequestQuery extends Query<DeletionRequestView> {
  constructor(
    readonly source: string,
    readonly eventId: string,
  ) {
    super();
  }
}
