import { Controller, Get, Query as QueryParam } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ROLES, Roles } from '@lethe/shared/infrastructure/http';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import { GetConsistencyProofQuery } from './get-consistency-proof.query';

const size = (name: string, v: unknown): number => {
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) {
    throw new AuditError(
      AuditErrorCode.INVALID_PROOF_REQUEST,
      `${name} must be a tree size (a non-negative integer)`,
      {
        parameter: name,
      },
    );
  }
  return Number(v);
};

@ApiTags('audit')
@Controller('v1/audit')
export class GetConsistencyProofHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('consistency')
  @Roles(...ROLES)
  @ApiQuery({ name: 'from', type: Number })
  @ApiQuery({ name: 'to', type: Number })
  @ApiOperation({
    summary: 'RFC 9162 consistency proof between two tree sizes, with both signed checkpoints',
  })
  async get(@QueryParam('from') from: unknown, @QueryParam('to') to: unknown) {
    return this.queryBus.execute(new GetConsistencyProofQuery(size('from', from), size('to', to)));
  }
}
