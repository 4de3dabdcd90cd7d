import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { codedViolations } from '@lethe/shared/infrastructure/http';

/** One record as sent to POST /v1/datasets/:id/records (JSON array item or NDJSON line). */
export const datasetRecordSchema = z
  .object({
    recordId: z.string().min(1).max(200),
    subjectId: z.string().min(1).max(200),
    features: z.array(z.number().finite()).min(1).max(100_000),
    label: z.union([z.number().finite(), z.string().min(1).max(200)]),
  })
  .strict();

export type DatasetRecordDto = z.infer<typeof datasetRecordSchema>;

/**
 * The JSON body: an array of records. (An `application/x-ndjson` body is one record per line,
 * each parsed with `datasetRecordSchema` as it streams in.)
 */
export class DatasetRecordsRequestDto extends createZodDto(z.array(datasetRecordSchema)) {}

/** 400 INVALID_RECORDS for a record that breaks the schema, in either body. */
export const invalidRecords = codedViolations('INVALID_RECORDS', 'invalid records');

export class AddDatasetRecordsResponseDto extends createZodDto(
  z.object({
    datasetId: z.string(),
    added: z.number().int(),
    unchanged: z.number().int().describe('already held with the same content'),
  }),
) {}
