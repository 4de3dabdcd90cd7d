import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { Roles, ZodRequestPipe } from '@lethe/shared/infrastructure/http';
import { CertificateViewDto } from '../../http/view-schemas';
import { GetCertificateQuery } from './get-certificate.query';

class CertificateIdParams extends createZodDto(
  z.object({ certificateId: z.string().min(1).max(200).describe('certificate id') }),
) {}

@ApiTags('audit')
@Controller('v1/certificates')
export class GetCertificateHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':certificateId')
  @Roles('compliance', 'auditor')
  @ApiOperation({
    summary:
      'A certificate: its JWS, the decoded payload and its inclusion proof against the latest checkpoint',
  })
  @ApiOkResponse({ type: CertificateViewDto })
  async get(@Param(ZodRequestPipe) params: CertificateIdParams) {
    return this.queryBus.execute(new GetCertificateQuery(params.certificateId));
  }
}
