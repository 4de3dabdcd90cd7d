import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * Register a model trained elsewhere, with what its first version was trained on: whole
 * datasets (every record they hold now) and/or listed records. Training by Lethe itself is a
 * later issue; it will register versions through the same lineage seam (RegisterModelVersion).
 */
export const registerModelSchema = z
  .object({
    modelId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - (≤ 128)'),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    training: z
      .object({
        datasetIds: z.array(z.string().min(1).max(200)).max(100).optional(),
        records: z
          .array(z.object({ datasetId: z.string().min(1), recordId: z.string().min(1) }).strict())
          .max(100_000)
          .optional(),
      })
      .strict()
      .refine((t) => (t.datasetIds?.length ?? 0) + (t.records?.length ?? 0) > 0, {
        message: 'name at least one dataset or record',
      }),
  })
  .strict();

export type RegisterModelDto = z.infer<typeof registerModelSchema>;

export class RegisterModelRequestDto {
  @ApiProperty({ example: 'mnist-mlp' }) modelId!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional() description?: string;
  @ApiProperty({ example: { datasetIds: ['mnist-demo'] } })
  training!: { datasetIds?: string[]; records?: { datasetId: string; recordId: string }[] };
}
