import { Query } from '@nestjs/cqrs';
import type { DeletionRequestId } from '@lethe/shared';
import type { DeletionRequestView } from './deletion-request.view';

export class GetDeletionRequestQuery extends Query<DeletionRequestView> {
  constructor(readonly requestId: DeletionRequestId) {
    super();
  }
}
