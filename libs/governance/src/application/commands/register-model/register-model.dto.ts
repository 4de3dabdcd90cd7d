import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/**
 * Register a model with what its first version is trained on: whole datasets (every record they
 * hold now) and/or listed records. When the datasets have registered sources (`POST
 * /v1/datasets` `source`), Lethe trains version 1 itself (a training job to the worker, with
 * `profile`); otherwise the model was trained elsewhere and version 1 is registered at once.
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
    /**
     * The training profile and unlearning policy for the worker (validated by the worker); only
     * used when Lethe trains the model. Empty or absent: the worker's defaults.
     */
    profile: z.record(z.unknown()).optional(),
  })
  .strict();

export type RegisterModelDto = z.infer<typeof registerModelSchema>;

/** What a model version was trained on (TrainingSetSummary). */
export const trainingSetSummarySchema = z.object({
  datasetIds: z.array(z.string()),
  recordCount: z.number().int(),
  digest: z.string().describe('sha256 over the sorted datasetId/recordId list'),
});

/** The body of POST /v1/models (validated by ZodRequestPipe: 400 SCHEMA_VIOLATION). */
export class RegisterModelRequestDto extends createZodDto(registerModelSchema) {}

export class RegisterModelResponseDto extends createZodDto(
  z.object({
    modelId: z.string(),
    version: z
      .number()
      .int()
      .describe('1: registered as trained elsewhere; 0: Lethe trains version 1 (trainingJobId)'),
    trainingSet: trainingSetSummarySchema,
    trainingJobId: z.string().nullable(),
  }),
) {}
