import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { GovernanceError } from '../../../domain/governance.errors';
import { requestIdFor } from '../../ids';
import { CLOCK, type Clock } from '../../ports/clock.port';
import {
  deletionRequestViewOf,
  type DeletionRequestRow,
  type DeletionRequestView,
} from '../get-deletion-request/deletion-request.view';
import { FindDeletionRequestQuery } from './find-deletion-request.query';

/**
 * Finds a request by its CloudEvents (source, id), in the read model (index on
 * `(source, source_event_id)`). Intake writes a new request's row in the transaction that stores
 * it, so a request is found as soon as it is acknowledged (HTTP 202, Kafka offset committed).
 * A request stored before ids derived from the pair may share its pair with a newer one; the one
 * whose id is the pair's own derivation comes first.
 */
@QueryHandler(FindDeletionRequestQuery)
export class FindDeletionRequestHandler implements IQueryHandler<FindDeletionRequestQuery> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(q: FindDeletionRequestQuery): Promise<DeletionRequestView> {
    const [row] = await this.dataSource.query<DeletionRequestRow[]>(
      `SELECT * FROM gov_deletion_requests_view
        WHERE source = $1 AND source_event_id = $2
        ORDER BY request_id = $3 DESC, received_at
        LIMIT 1`,
      [q.source, q.eventId, requestIdFor(q.source, q.eventId)],
    );
    if (!row) {
      throw new GovernanceError(
        'REQUEST_NOT_FOUND',
        'no deletion request was made by a CloudEvent with this (source, id)',
      );
    }
    return deletionRequestViewOf(row, this.clock.now());
  }
}
