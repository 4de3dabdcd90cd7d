import { Controller, Get, Query, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CodedError } from '@lethe/shared';
import {
  assertSourceAllowed,
  Roles,
  seesEverySource,
  ZodRequestPipe,
  type AuthenticatedRequest,
} from '@lethe/shared/infrastructure/http';
import {
  receiptOf,
  type DeletionRequestReceipt,
  type DeletionRequestView,
} from '../get-deletion-request/deletion-request.view';
import {
  ListDeletionRequestsQuery,
  type DeletionRequestPage,
} from '../list-deletion-requests/list-deletion-requests.query';
import {
  DeletionRequestPageDto,
  DeletionRequestReceiptDto,
  DeletionRequestViewDto,
} from '../../http/view-schemas';
import { REQUEST_STATUSES } from '../../../domain/deletion-request/deletion-request.state';
import { FindDeletionRequestQuery } from './find-deletion-request.query';

const STATUSES = REQUEST_STATUSES;

/** Query of GET /v1/deletion-requests: (source, eventId) finds one; anything else lists. */
export const deletionRequestsQuerySchema = z
  .object({
    /** Same bounds as the CloudEvent's `source` and `id` (deletion-requested.v1.schema.json). */
    source: z.string().min(1).max(500).optional().describe('CloudEvents `source`'),
    eventId: z.string().min(1).max(200).optional().describe('CloudEvents `id` (with source)'),
    status: z
      .string()
      .regex(
        new RegExp(`^(?:${STATUSES.join('|')})(?:,(?:${STATUSES.join('|')}))*$`),
        `comma-separated statuses: ${STATUSES.join(', ')}`,
      )
      .transform((v) => v.split(',') as (typeof STATUSES)[number][])
      .optional()
      .describe(`comma-separated: ${STATUSES.join(', ')}`),
    overdue: z
      .enum(['true', 'false'])
      .optional()
      .describe('past the deadline and not settled (certified, no-records, rejected)'),
    deadlineBefore: z
      .string()
      .datetime({ offset: true })
      .optional()
      .describe('deadline < this instant'),
    cursor: z.string().min(1).max(500).optional().describe('nextCursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(200).default(50).describe('page size, 1..200'),
  })
  .strict();

class DeletionRequestsQueryDto extends createZodDto(deletionRequestsQuerySchema) {}

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
  @ApiExtraModels(DeletionRequestPageDto, DeletionRequestViewDto, DeletionRequestReceiptDto)
  @ApiOkResponse({
    description:
      'a page of requests; with source + eventId, one request (the view of ' +
      'GET /v1/deletion-requests/:requestId, or a receipt for an unbound publisher key)',
    schema: {
      oneOf: [DeletionRequestPageDto, DeletionRequestViewDto, DeletionRequestReceiptDto].map(
        (dto) => ({ $ref: getSchemaPath(dto) }),
      ),
    },
  })
  async find(
    @Query(ZodRequestPipe) q: DeletionRequestsQueryDto,
    @Req() req: AuthenticatedRequest,
  ): Promise<DeletionRequestView | DeletionRequestReceipt | DeletionRequestPage> {
    if (q.eventId !== undefined && q.source === undefined) {
      throw new CodedError('SCHEMA_VIOLATION', 'validation', 'query/source required with eventId');
    }
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
