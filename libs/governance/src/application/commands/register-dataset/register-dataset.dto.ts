import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
// The descriptor module only (zod, no engine): the unlearning worker reads what this validates.
import { datasetSourceDescriptorSchema } from '@lethe/unlearning/application/ports/dataset-source-descriptor';

export const registerDatasetSchema = z
  .object({
    datasetId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - (≤ 128)')
      .describe('e.g. mnist-demo'),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    /** Optional, added later: where the worker reads the rows (MNIST demo or an NDJSON/CSV file). */
    source: datasetSourceDescriptorSchema
      .optional()
      .describe(
        'Where the worker reads the rows: {kind:"mnist"} or {kind:"file", format, path ' +
          '(relative to the worker data root), recordIdColumn, labelColumn, …}',
      ),
  })
  .describe('POST /v1/datasets');

/** The body of POST /v1/datasets (validated by ZodRequestPipe: 400 SCHEMA_VIOLATION). */
export class RegisterDatasetRequestDto extends createZodDto(registerDatasetSchema) {}

export class RegisterDatasetResponseDto extends createZodDto(z.object({ datasetId: z.string() })) {}
