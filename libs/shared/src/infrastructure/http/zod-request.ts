import type { z } from 'zod';
import { CodedError } from '../../domain/domain-error';

/**
 * Parses a request part (`query`, `body`, `params`) with its zod schema, or throws 400
 * SCHEMA_VIOLATION listing where it fails. Messages name paths and rules, never the values (a
 * query may carry a subject id).
 */
export function parseRequest<S extends z.ZodTypeAny>(
  schema: S,
  value: unknown,
  where: 'query' | 'body' | 'params',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<S>;
  const violations = parsed.error.issues
    .slice(0, 5)
    .map(
      (i) =>
        `${where}/${i.path.join('/')} ${i.code === 'invalid_enum_value' ? `must be one of ${i.options.join(', ')}` : i.message}`,
    );
  throw new CodedError('SCHEMA_VIOLATION', 'validation', violations.join('; '), { violations });
}
