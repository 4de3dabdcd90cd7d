import { Controller, Get, Param, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ModelId } from '@lethe/shared';
import { Roles } from '@lethe/shared/infrastructure/http';
import { GovernanceError } from '../../../domain/governance.errors';
import {
  GetModelVersionQuery,
  GetModelWeightsQuery,
  type ModelVersionView,
  type ModelWeightsFile,
} from './get-model-version.query';

const versionOf = (modelId: string, v: string): number => {
  const n = /^[1-9][0-9]{0,8}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new GovernanceError('MODEL_VERSION_NOT_FOUND', `model ${modelId} has no version ${v}`, {
      modelId,
      version: v,
    });
  }
  return n;
};

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
  async get(
    @Param('modelId') modelId: string,
    @Param('version') version: string,
  ): Promise<ModelVersionView> {
    return this.queryBus.execute(
      new GetModelVersionQuery(ModelId(modelId), versionOf(modelId, version)),
    );
  }

  @Get(':modelId/versions/:version/weights')
  @Roles('ml-admin')
  @ApiProduces('application/octet-stream')
  @ApiOperation({
    summary: 'Download the released weights (Repr-Digest: sha-256 of the bytes, RFC 9530)',
  })
  async weights(
    @Param('modelId') modelId: string,
    @Param('version') version: string,
    @Res() res: Response,
  ): Promise<void> {
    const file: ModelWeightsFile = await this.queryBus.execute(
      new GetModelWeightsQuery(ModelId(modelId), versionOf(modelId, version)),
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
