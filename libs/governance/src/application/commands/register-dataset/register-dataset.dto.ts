import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
// The descriptor module only (zod, no engine): the unlearning worker reads what this validates.
import { datasetSourceDescriptorSchema } from '@lethe/unlearning/application/ports/dataset-source-descriptor';

export const registerDatasetSchema = z.object({
  datasetId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - (≤ 128)'),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  /** Optional, added later: where the worker reads the rows (MNIST demo or an NDJSON/CSV file). */
  source: datasetSourceDescriptorSchema.optional(),
});

export class RegisterDatasetRequestDto {
  @ApiProperty({ example: 'mnist-demo' }) datasetId!: string;
  @ApiProperty({ example: 'MNIST demo' }) name!: string;
  @ApiPropertyOptional() description?: string;
  @ApiPropertyOptional({
    description:
      'Where the worker reads the rows: {kind:"mnist"} or {kind:"file", format:"ndjson"|"csv", ' +
      'path (relative to the worker data root), recordIdColumn, labelColumn, featureColumns?, ' +
      'classCount?, delimiter?}',
    example: {
      kind: 'file',
      format: 'csv',
      path: 'credit/train.csv',
      recordIdColumn: 'record_id',
      labelColumn: 'label',
    },
  })
  source?: Record<string, unknown>;
}
