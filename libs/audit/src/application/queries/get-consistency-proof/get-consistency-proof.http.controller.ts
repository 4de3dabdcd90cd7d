import { Controller, Get, Query as QueryParam } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { ROLES, Roles, zodRequestPipe } from '@lethe/shared/infrastructure/http';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import { ConsistencyProofViewDto } from '../../http/view-schemas';
import { GetConsistencyProofQuery } from './get-consistency-proof.query';

const treeSize = (what: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a tree size (a non-negative integer)')
    .transform(Number)
    .describe(what);

class ConsistencyQueryDto extends createZodDto(
  z.object({ from: treeSize('the older tree size'), to: treeSize('the newer tree size') }),
) {}

/** 400 INVALID_PROOF_REQUEST, naming the parameter. */
const ProofRequestPipe = zodRequestPipe(
  (violations) =>
    new AuditError(AuditErrorCode.INVALID_PROOF_REQUEST, violations.join('; '), { violations }),
);

@ApiTags('audit')
@Controller('v1/audit')
export class GetConsistencyProofHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('consistency')
  @Roles(...ROLES)
  @ApiOperation({
    summary: 'RFC 9162 consistency proof between two tree sizes, with both signed checkpoints',
  })
  @ApiOkResponse({ type: ConsistencyProofViewDto })
  async get(@QueryParam(ProofRequestPipe) q: ConsistencyQueryDto) {
    return this.queryBus.execute(new GetConsistencyProofQuery(q.from, q.to));
  }
}
