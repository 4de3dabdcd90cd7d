import { Controller, Get, Query, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CodedError } from '@lethe/shared';
import {
  assertSourceAllowed,
  Roles,
  seesEverySource,
  type AuthenticatedRequest,
} from '@lethe/shared/infrastructure/http';
import { parseOrThrow } from '../../http/zod-validation';
import {
  receiptOf,
  type DeletionRequestReceipt,
  type DeletionRequestView,
} from '../get-deletion-request/deletion-request.view';
import {
  ListDeletionRequestsQuery,
  type DeletionRequestPage,
} from '../list-deletion-requests/list-deletion-requests.query';
import { FindDeletionRequestQuery } from './find-deletion-request.query';

const STATUSES = [
  'received',
  'scheduled',
  'unlearning',
  'certified',
  'no-records',
  'rejected',
  'failed',
  'needs-retrain',
] as const;

const csv = <T extends z.ZodTypeAny>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').filter((x) => x.length > 0))
    .pipe(z.array(item).min(1));

/** Query of GET /v1/deletion-requests: (source, eventId) finds one; anything else lists. */
export const deletionRequestsQuerySchema = z
  .object({
    /** Same bounds as the CloudEvent's `source` and `id` (deletion-requested.v1.schema.json). */
    source: z.string().min(1).max(500).optional(),
    eventId: z.string().min(1).max(200).optional(),
    status: csv(z.enum(STATUSES)).optional(),
    overdue: z.enum(['true', 'false']).optional(),
    deadlineBefore: z.string().datetime({ offset: true }).optional(),
    cursor: z.string().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict()
  .refine((q) => q.eventId === undefined || q.source !== undefined, {
    message: 'eventId needs source',
    path: ['source'],
  });

@ApiTags('deletion-requests')
@Controller('v1/deletion-requests')
export class FindDeletionRequestHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /**
   * With `source` and `eventId`: the request a CloudEvent made (a publisher that sent over Kafka
   * finds it so). Otherwise a list, filtered and cursor-paginated. Compliance sees every request in
   * full. A publisher key bound to sources sees its own sources' requests in full, and only those
   * (another source: 403 SOURCE_NOT_ALLOWED); an unbound one (legacy key syntax) may only look one
   * up by (source, eventId) and gets a receipt (status and deadline), never a list
   * (403 SOURCE_BINDING_REQUIRED).
   */
  @Get()
  @Roles('publisher', 'compliance')
  @ApiOperation({
    summary: 'Find a deletion request by its CloudEvent (source, id), or list requests',
  })
  @ApiQuery({ name: 'source', required: false, description: 'CloudEvents `source`' })
  @ApiQuery({ name: 'eventId', required: false, description: 'CloudEvents `id` (with source)' })
  @ApiQuery({ name: 'status', required: false, description: 'comma-separated statuses' })
  @ApiQuery({ name: 'overdue', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'deadlineBefore', required: false, description: 'RFC 3339 instant' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1..200, default 50' })
  async find(
    @Query() query: unknown,
    @Req() req: AuthenticatedRequest,
  ): Promise<DeletionRequestView | DeletionRequestReceipt | DeletionRequestPage> {
    const q = parseOrThrow(deletionRequestsQuerySchema, query, 'SCHEMA_VIOLATION', 'query');
    const principal = req.principal;
    const everything = seesEverySource(principal);
    if (q.source !== undefined && !everything) assertSourceAllowed(principal, q.source);

    if (q.source !== undefined && q.eventId !== undefined) {
      const view = await this.queryBus.execute(new FindDeletionRequestQuery(q.source, q.eventId));
      return everything || principal?.sources ? view : receiptOf(view);
    }
    if (!everything && !principal?.sources) {
      throw new CodedError(
        'SOURCE_BINDING_REQUIRED',
        'forbidden',
        'a publisher lists requests only with a key bound to its sources; ' +
          'look one up by source and eventId',
      );
    }
    const sources =
      q.source !== undefined ? [q.source] : everything ? undefined : principal?.sources;
    return this.queryBus.execute(
      new ListDeletionRequestsQuery({
        ...(q.status ? { statuses: q.status } : {}),
        ...(q.overdue ? { overdue: q.overdue === 'true' } : {}),
        ...(sources ? { sources } : {}),
        ...(q.deadlineBefore ? { deadlineBefore: new Date(q.deadlineBefore) } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
        limit: q.limit,
      }),
    );
  }
}
