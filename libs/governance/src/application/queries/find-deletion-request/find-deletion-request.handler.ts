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
 * The lookup by (source, id): $1 source, $2 event id, $3 the request id derived from the pair. The
 * derived id first (primary key), else the oldest legacy row (partial legacy-key index).
 */
export const FIND_BY_SOURCE_EVENT_SQL = `SELECT v.* FROM (
         SELECT request_id, 0 AS pref FROM gov_deletion_requests_view
          WHERE request_id = $3 AND source = $1 AND source_event_id = $2
         UNION ALL
         (SELECT request_id, 1 AS pref FROM gov_deletion_requests_view
           WHERE source = $1 AND source_event_id = $2 AND content_digest IS NULL
           ORDER BY received_at
           LIMIT 1)
       ) AS k JOIN gov_deletion_requests_view AS v USING (request_id)
       ORDER BY k.pref
       LIMIT 1`;

/**
 * Finds a request by its CloudEvents (source, id), in the read model. Intake writes a new
 * request's row in the transaction that stores it, so a request is found as soon as it is
 * acknowledged (HTTP 202, Kafka offset committed). The id of a request received since the key
 * became (source, id) is derived from the pair: the primary key finds it. A request stored before
 * that keeps an id derived from `id` alone and has no content digest; the partial index
 * `gov_deletion_requests_view_legacy_key_idx` (over those rows only) finds it. A pair may name one
 * of each; the one whose id is the pair's own derivation comes first, then the oldest legacy one
 * (docs/adr/0006-deletion-intake.md).
 */
@QueryHandler(FindDeletionRequestQuery)
export class FindDeletionRequestHandler implements IQueryHandler<FindDeletionRequestQuery> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(q: FindDeletionRequestQuery): Promise<DeletionRequestView> {
    const [row] = await this.dataSource.query<DeletionRequestRow[]>(FIND_BY_SOURCE_EVENT_SQL, [
      q.source,
      q.eventId,
      requestIdFor(q.source, q.eventId),
    ]);
    if (!row) {
      throw new GovernanceError(
        'REQUEST_NOT_FOUND',
        'no deletion request was made by a CloudEvent with this (source, id)',
      );
    }
    return deletionRequestViewOf(row, this.clock.now());
  }
}
