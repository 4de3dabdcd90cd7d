import { Controller, Get, Query, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles, type AuthenticatedRequest } from '@lethe/shared/infrastructure/http';
import { parseOrThrow } from '../../http/zod-validation';
import {
  receiptOf,
  type DeletionRequestReceipt,
  type DeletionRequestView,
} from '../get-deletion-request/deletion-request.view';
import { FindDeletionRequestQuery } from './find-deletion-request.query';

/** Same bounds as the CloudEvent's `source` and `id` (deletion-requested.v1.schema.json). */
const byKey = z.object({
  source: z.string().min(1).max(500),
  eventId: z.string().min(1).max(200),
});

@ApiTags('deletion-requests')
@Controller('v1/deletion-requests')
export class FindDeletionRequestHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /**
   * A publisher that sent over Kafka finds its request by the CloudEvent's (source, id). A caller
   * with the publisher role only gets the receipt (status and deadline); compliance the full view.
   */
  @Get()
  @Roles('publisher', 'compliance')
  @ApiOperation({ summary: 'Find a deletion request by its CloudEvent (source, id)' })
  @ApiQuery({ name: 'source', required: true, description: 'CloudEvents `source`' })
  @ApiQuery({ name: 'eventId', required: true, description: 'CloudEvents `id`' })
  async find(
    @Query() query: unknown,
    @Req() req: AuthenticatedRequest,
  ): Promise<DeletionRequestView | DeletionRequestReceipt> {
    const { source, eventId } = parseOrThrow(byKey, query, 'SCHEMA_VIOLATION', 'query');
    const view = await this.queryBus.execute(new FindDeletionRequestQuery(source, eventId));
    const roles = req.principal?.roles ?? [];
    return roles.includes('compliance') || roles.includes('admin') ? view : receiptOf(view);
  }
}
