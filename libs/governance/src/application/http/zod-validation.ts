import type { z } from 'zod';
import { GovernanceError, type GovernanceErrorCode } from '../../domain/governance.errors';

/** Parses `value` with `schema` or throws a GovernanceError (SCHEMA_VIOLATION by default). */
export const parseOrThrow = <S extends z.ZodTypeAny>(
  schema: S,
  value: unknown,
  code: GovernanceErrorCode = 'SCHEMA_VIOLATION',
  where = '',
): z.output<S> => {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<S>;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${where}/${i.path.join('/')} ${i.message}`);
  throw new GovernanceError(code, issues.join('; '), { violations: issues });
};
