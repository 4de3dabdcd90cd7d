import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { decodeCursor, encodeCursor, epochMicrosSchema } from '@lethe/shared/application';
import { CLOCK, type Clock } from '../../ports/clock.port';
import {
  deletionRequestViewOf,
  type DeletionRequestRow,
} from '../get-deletion-request/deletion-request.view';
import {
  ListDeletionRequestsQuery,
  type DeletionRequestPage,
  type DeletionRequestSummary,
} from './list-deletion-requests.query';

const cursorSchema = z.object({ r: epochMicrosSchema, id: z.string().min(1) }).strict();

/** Settled requests are never overdue (deletion-request.view.ts `isOverdue`, same statuses). */
const OVERDUE_SQL = `(deadline < $NOW AND status NOT IN ('certified', 'no-records', 'rejected'))`;

/**
 * Reads the deletion-requests read model (gov_deletion_requests_view) in (received_at,
 * request_id) order, keyset-paginated on that pair, which its indexes serve (migration
 * ComplianceQueries1796100000000). The cursor carries received_at in microseconds, PostgreSQL's
 * precision, so no row is skipped or repeated between pages.
 */
@QueryHandler(ListDeletionRequestsQuery)
export class ListDeletionRequestsHandler implements IQueryHandler<ListDeletionRequestsQuery> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ filters: f }: ListDeletionRequestsQuery): Promise<DeletionRequestPage> {
    const now = this.clock.now();
    const params: unknown[] = [];
    const bind = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (f.statuses?.length) where.push(`status = ANY(${bind(f.statuses)}::text[])`);
    if (f.sources) where.push(`source = ANY(${bind(f.sources)}::text[])`);
    if (f.deadlineBefore) where.push(`deadline < ${bind(f.deadlineBefore)}`);
    if (f.overdue !== undefined) {
      const overdue = OVERDUE_SQL.replace('$NOW', bind(now));
      where.push(f.overdue ? overdue : `NOT ${overdue}`);
    }
    if (f.cursor) {
      const c = decodeCursor(cursorSchema, f.cursor);
      where.push(
        `(received_at, request_id) > (timestamptz 'epoch' + ${bind(c.r)}::bigint * interval '1 microsecond', ${bind(c.id)})`,
      );
    }
    const rows = await this.dataSource.query<(DeletionRequestRow & { received_us: string })[]>(
      `SELECT *, (extract(epoch FROM received_at) * 1000000)::bigint::text AS received_us
         FROM gov_deletion_requests_view
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY received_at, request_id
        LIMIT ${bind(f.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, f.limit);
    const last = page.at(-1);
    return {
      items: page.map((row): DeletionRequestSummary => {
        const { history: _history, ...summary } = deletionRequestViewOf(row, now);
        return summary;
      }),
      nextCursor:
        rows.length > f.limit && last
          ? encodeCursor({ r: last.received_us, id: last.request_id })
          : null,
    };
  }
}
