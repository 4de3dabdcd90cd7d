import { z } from 'zod';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import { EXPORT_FORMATS, type ExportFormat } from '../../../domain/export/export-format';
import type { AppendTimeRange } from '../../ports/audit-log-store.port';

/** The query string of GET /v1/audit/export and GET /v1/audit/export/manifest. */
export const exportRequestSchema = z
  .object({
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
    format: z.enum(EXPORT_FORMATS).default('jsonl'),
    treeSize: z
      .string()
      .regex(/^[1-9]\d{0,14}$/, 'a tree size (a positive integer)')
      .transform(Number)
      .optional(),
  })
  .strict()
  .refine(
    (q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to),
    {
      message: 'from must not be after to',
      path: ['from'],
    },
  );

export interface ExportRequest {
  readonly format: ExportFormat;
  readonly range: AppendTimeRange;
  readonly treeSize: number | undefined;
}

/** Parses the query string or throws INVALID_EXPORT_REQUEST with every violation. */
export function parseExportRequest(query: unknown): ExportRequest {
  const parsed = exportRequestSchema.safeParse(query ?? {});
  if (!parsed.success) {
    const violations = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`);
    throw new AuditError(
      AuditErrorCode.INVALID_EXPORT_REQUEST,
      `invalid export request: ${violations.join('; ')}`,
      { violations },
    );
  }
  const { from, to, format, treeSize } = parsed.data;
  return {
    format,
    range: {
      from: from === undefined ? null : new Date(from),
      to: to === undefined ? null : new Date(to),
    },
    treeSize,
  };
}
