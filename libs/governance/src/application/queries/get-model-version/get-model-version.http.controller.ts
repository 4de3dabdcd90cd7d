import { Controller, Get, Param, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ModelId } from '@lethe/shared';
import { Roles, zodRequestPipe } from '@lethe/shared/infrastructure/http';
import { GovernanceError } from '../../../domain/governance.errors';
import { ModelVersionParams } from '../../http/route-params';
import { ModelVersionViewDto } from '../../http/view-schemas';
import {
  GetModelVersionQuery,
  GetModelWeightsQuery,
  type ModelVersionView,
  type ModelWeightsFile,
} from './get-model-version.query';

/** A malformed version is a version the model does not have: 404, as before the pipe. */
const VersionParamsPipe = zodRequestPipe(
  (violations) =>
    new GovernanceError('MODEL_VERSION_NOT_FOUND', `no such version: ${violations.join('; ')}`, {
      violations,
    }),
);

/** RFC 9530 `Repr-Digest` value of a hex SHA-256: `sha-256=:<base64>:`. */
export const reprDigestOf = (hexSha256: string): string =>
  `sha-256=:${Buffer.from(hexSha256, 'hex').toString('base64')}:`;

@ApiTags('models')
@Controller('v1/models')
export class GetModelVersionHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':modelId/versions/:version')
  @Roles('ml-admin')
  @ApiOperation({ summary: 'A released model version: digest, metadata, certificate ids, lineage' })
  @ApiOkResponse({ type: ModelVersionViewDto })
  async get(@Param(VersionParamsPipe) p: ModelVersionParams): Promise<ModelVersionView> {
    return this.queryBus.execute(new GetModelVersionQuery(ModelId(p.modelId), p.version));
  }

  @Get(':modelId/versions/:version/weights')
  @Roles('ml-admin')
  @ApiProduces('application/octet-stream')
  @ApiOperation({
    summary: 'Download the released weights (Repr-Digest: sha-256 of the bytes, RFC 9530)',
  })
  @ApiOkResponse({
    description: 'the weights file',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  })
  async weights(
    @Param(VersionParamsPipe) p: ModelVersionParams,
    @Res() res: Response,
  ): Promise<void> {
    const file: ModelWeightsFile = await this.queryBus.execute(
      new GetModelWeightsQuery(ModelId(p.modelId), p.version),
    );
    res
      .status(200)
      .type('application/octet-stream')
      .set({
        'Repr-Digest': reprDigestOf(file.digest),
        ETag: `"${file.digest}"`,
        'Content-Disposition': `attachment; filename="${file.modelId}-v${file.version}.weights"`,
      })
      .send(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
  }
}
