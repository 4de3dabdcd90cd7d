import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@lethe/shared/infrastructure/http';
import type { JwksDocument } from '../../../domain/keys/jwks';
import { JwksDto } from '../../http/view-schemas';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';

@ApiTags('audit')
@Controller('.well-known')
export class GetJwksHttpController {
  constructor(@Inject(AUDIT_SIGNER) private readonly signer: AuditSigner) {}

  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary:
      'Every certificate and checkpoint signing key, current and retired, with its validity window',
  })
  @ApiOkResponse({ type: JwksDto })
  get(): JwksDocument {
    return this.signer.jwks();
  }
}
