import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { parseRequest } from '@lethe/shared/infrastructure/http';
import { GovernanceError } from '../../../domain/governance.errors';
import type { ComplianceRange } from './get-compliance-summary.query';

/** An RFC 3339 date-time with its offset, or a full date (midnight UTC). */
const instant = z.union([
  z.string().datetime({ offset: true }),
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'),
]);

const rangeQuery = z
  .object({
    from: instant.optional().describe('RFC 3339 date-time or YYYY-MM-DD (inclusive)'),
    to: instant.optional().describe('RFC 3339 date-time or YYYY-MM-DD (exclusive)'),
  })
  .strict();

/** `?from=&to=` as a nestjs-zod DTO (ZodRequestPipe: unknown or repeated → SCHEMA_VIOLATION). */
export class ComplianceRangeQueryDto extends createZodDto(rangeQuery) {}

/**
 * `?from=&to=` of the compliance routes: each an RFC 3339 date-time or a date, `from` before
 * `to`. Unknown or repeated parameters are SCHEMA_VIOLATION; a date that is not one, or an empty
 * range, INVALID_TIME_RANGE (both 400 problem+json).
 */
export const parseComplianceRange = (query: unknown): ComplianceRange =>
  complianceRangeOf(parseRequest(rangeQuery, query, 'query'));

/** The range of an already validated query: INVALID_TIME_RANGE when it is not one. */
export const complianceRangeOf = (q: ComplianceRangeQueryDto): ComplianceRange => {
  const at = (name: 'from' | 'to'): Date | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : v);
    if (Number.isNaN(d.getTime())) {
      throw new GovernanceError('INVALID_TIME_RANGE', `${name}: ${v} is not a date`, {
        [name]: v,
      });
    }
    return d;
  };
  const from = at('from');
  const to = at('to');
  if (from && to && from.getTime() >= to.getTime()) {
    throw new GovernanceError(
      'INVALID_TIME_RANGE',
      `from (${from.toISOString()}) must be before to (${to.toISOString()})`,
      { from: from.toISOString(), to: to.toISOString() },
    );
  }
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
};
