import { z } from 'zod';

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
