import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { zodRequestPipe } from '@lethe/shared/infrastructure/http';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import { EXPORT_FORMATS, type ExportFormat } from '../../../domain/export/export-format';
import type { AppendTimeRange } from '../../ports/audit-log-store.port';

/** The query string of GET /v1/audit/export and GET /v1/audit/export/manifest. */
export const exportRequestSchema = z
  .object({
    from: z.string().datetime({ offset: true }).optional().describe('RFC 3339; append time ≥ from'),
    to: z.string().datetime({ offset: true }).optional().describe('RFC 3339; append time < to'),
    format: z.enum(EXPORT_FORMATS).default('jsonl'),
    treeSize: z
      .string()
      .regex(/^[1-9]\d{0,14}$/, 'a tree size (a positive integer)')
      .transform(Number)
      .optional()
      .describe('cut at this signed checkpoint (default: the latest; see Lethe-Export-Tree-Size)'),
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

/** The query as a nestjs-zod DTO (validated by ExportRequestPipe). */
export class ExportRequestQueryDto extends createZodDto(exportRequestSchema) {}

/** 400 INVALID_EXPORT_REQUEST with every violation. */
export const ExportRequestPipe = zodRequestPipe(
  (violations) =>
    new AuditError(
      AuditErrorCode.INVALID_EXPORT_REQUEST,
      `invalid export request: ${violations.join('; ')}`,
      { violations },
    ),
);

/** The request of a validated query. */
export function exportRequestOf(q: ExportRequestQueryDto): ExportRequest {
  const { from, to, format, treeSize } = q;
  return {
    format,
    range: {
      from: from === undefined ? null : new Date(from),
      to: to === undefined ? null : new Date(to),
    },
    treeSize,
  };
}
