import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@lethe/shared/infrastructure/http';
import { GetCertificateQuery } from './get-certificate.query';

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
  async get(@Param('certificateId') certificateId: string) {
    return this.queryBus.execute(new GetCertificateQuery(certificateId));
  }
}
