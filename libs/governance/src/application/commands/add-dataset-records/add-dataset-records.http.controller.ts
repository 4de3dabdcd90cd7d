import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createInterface } from 'node:readline';
import { DatasetId } from '@lethe/shared';
import {
  parseRequest,
  Roles,
  ZodRequestPipe,
  type AuthenticatedRequest,
} from '@lethe/shared/infrastructure/http';
import { GovernanceError } from '../../../domain/governance.errors';
import { actorOf, correlationIdOf } from '../../http/request-principal';
import { DatasetIdParams } from '../../http/route-params';
import { AddDatasetRecordsCommand } from './add-dataset-records.command';
import {
  AddDatasetRecordsResponseDto,
  DatasetRecordsRequestDto,
  datasetRecordSchema,
  invalidRecords,
  type DatasetRecordDto,
} from './add-dataset-records.dto';

/** Records per transaction while streaming a body. */
const CHUNK = 2000;

/**
 * Bulk records: a JSON array (`application/json`, within the app's body limit) or NDJSON
 * (`application/x-ndjson`, streamed line by line, committed every 2,000 records, any size).
 * Re-sending records is harmless (unchanged), so a failed upload can be sent again whole.
 */
@ApiTags('datasets')
@Controller('v1/datasets/:datasetId/records')
export class AddDatasetRecordsHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(200)
  @Roles('ml-admin')
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiOperation({ summary: 'Add records (recordId, subjectId, features, label) to a dataset' })
  @ApiBody({
    type: DatasetRecordsRequestDto,
    description: 'a JSON array of records, or (application/x-ndjson) one record per line',
  })
  @ApiOkResponse({ type: AddDatasetRecordsResponseDto })
  async add(
    @Param(ZodRequestPipe) params: DatasetIdParams,
    @Req() req: AuthenticatedRequest,
  ): Promise<AddDatasetRecordsResponseDto> {
    const { datasetId } = params;
    const totals = { added: 0, unchanged: 0 };
    const flush = async (chunk: DatasetRecordDto[]) => {
      if (chunk.length === 0) return;
      const r = await this.commandBus.execute(
        new AddDatasetRecordsCommand(DatasetId(datasetId), chunk, actorOf(req), correlationIdOf()),
      );
      totals.added += r.added;
      totals.unchanged += r.unchanged;
    };
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.includes('ndjson')) {
      let chunk: DatasetRecordDto[] = [];
      let line = 0;
      for await (const text of createInterface({ input: req, crlfDelay: Infinity })) {
        line += 1;
        if (text.trim() === '') continue;
        chunk.push(this.parseLine(text, line));
        if (chunk.length >= CHUNK) {
          await flush(chunk);
          chunk = [];
        }
      }
      await flush(chunk);
    } else {
      const body: unknown = req.body;
      if (!Array.isArray(body)) {
        throw new GovernanceError(
          'INVALID_RECORDS',
          'body must be a JSON array of records or NDJSON',
        );
      }
      const records = body.map((r, i) =>
        parseRequest(datasetRecordSchema, r, `body/${i}`, invalidRecords),
      );
      for (let i = 0; i < records.length; i += CHUNK) await flush(records.slice(i, i + CHUNK));
    }
    return { datasetId, ...totals };
  }

  private parseLine(text: string, line: number): DatasetRecordDto {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new GovernanceError('INVALID_RECORDS', `line ${line} is not valid JSON`, { line });
    }
    return parseRequest(datasetRecordSchema, value, `line ${line}`, invalidRecords);
  }
}
