import { Body, Controller, HttpCode, Inject, Optional, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  assertSourceAllowed,
  Roles,
  type AuthenticatedRequest,
} from '@lethe/shared/infrastructure/http';
import { LetheMetrics } from '@lethe/shared/infrastructure/metrics';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../../governance.options';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { noIntakeMetrics, type IntakeMetrics } from '../../ports/intake-metrics.port';
import { RequestDeletionCommand } from './request-deletion.command';
import { DeletionRequestedCloudEventDto, DeletionRequestValidator } from './request-deletion.dto';

class DeletionAcceptedDto extends createZodDto(
  z.object({
    requestId: z.string(),
    status: z.literal('accepted'),
    duplicate: z.boolean().describe('true: this (source, id) was already accepted'),
  }),
) {}

/** HTTP door of RequestDeletion: the same CloudEvent as on Kafka; 202 + request id; idempotent. */
@ApiTags('deletion-requests')
@Controller('v1/deletion-requests')
export class RequestDeletionHttpController {
  private readonly validator: DeletionRequestValidator;
  private readonly metrics: IntakeMetrics;

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GOVERNANCE_OPTIONS) options: ResolvedGovernanceOptions,
    @Optional() metrics?: LetheMetrics,
  ) {
    this.validator = new DeletionRequestValidator(options.maxEventBytes);
    this.metrics = metrics ?? noIntakeMetrics;
  }

  @Post()
  @HttpCode(202)
  @Roles('publisher')
  @ApiOperation({ summary: 'Request deletion (CloudEvent lethe.deletion.requested.v1)' })
  // The body is validated by DeletionRequestValidator with the CloudEvent's zod schema (the
  // Kafka door's, with its codes and intake metrics), which this DTO puts in the document.
  @ApiBody({ type: DeletionRequestedCloudEventDto })
  @ApiAcceptedResponse({ type: DeletionAcceptedDto })
  async request(
    @Body() body: unknown,
    @Req() req: AuthenticatedRequest,
  ): Promise<{ requestId: string; status: 'accepted'; duplicate: boolean }> {
    const parsed = this.validator.fromValue(body);
    if (!parsed.ok) {
      this.metrics.countIntake('http', 'rejected', parsed.error.code);
      throw parsed.error;
    }
    // A key bound to sources publishes for those only (403 SOURCE_NOT_ALLOWED, nothing stored).
    try {
      assertSourceAllowed(req.principal, parsed.value.source);
    } catch (e) {
      this.metrics.countIntake('http', 'rejected', 'SOURCE_NOT_ALLOWED');
      throw e;
    }
    const [outcome] = await this.commandBus.execute(
      new RequestDeletionCommand(
        [{ event: parsed.value, receivedAt: this.clock.now() }],
        'http',
        actorOf(req),
        correlationIdOf(),
      ),
    );
    if (!outcome) throw new Error('RequestDeletionCommand returned no outcome');
    if (!outcome.ok) {
      this.metrics.countIntake('http', 'rejected', outcome.error.code);
      throw outcome.error;
    }
    this.metrics.countIntake('http', outcome.created ? 'accepted' : 'duplicate');
    return { requestId: outcome.requestId, status: 'accepted', duplicate: !outcome.created };
  }
}
