import { createZodValidationPipe } from 'nestjs-zod';
import type { z } from 'zod';
import { CodedError } from '../../domain/domain-error';

type Where = 'query' | 'body' | 'params';

/** A zod error as 400 SCHEMA_VIOLATION: paths and rules, never the values (a query may hold a subject id). */
export function schemaViolation(error: z.ZodError, where: string): CodedError {
  const violations = error.issues
    .slice(0, 5)
    .map(
      (i) =>
        `${where}/${i.path.join('/')} ${
          i.code === 'invalid_enum_value' ? `must be one of ${i.options.join(', ')}` : i.message
        }`,
    );
  return new CodedError('SCHEMA_VIOLATION', 'validation', violations.join('; '), { violations });
}

/** Parses a request part with its zod schema, or throws 400 SCHEMA_VIOLATION. */
export function parseRequest<S extends z.ZodTypeAny>(
  schema: S,
  value: unknown,
  where: Where,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<S>;
  throw schemaViolation(parsed.error, where);
}

/**
 * The validation pipe of routes whose parameters are nestjs-zod DTOs (`createZodDto`): the same
 * zod schema validates the request and generates its OpenAPI (docs/adr/0015-authorisation.md);
 * failures are 400 SCHEMA_VIOLATION problem+json like everywhere else. Use it per parameter,
 * `@Query(ZodRequestPipe) q: SomeQueryDto`, so a module works the same in any app.
 */
export const ZodRequestPipe = createZodValidationPipe({
  createValidationException: (error: unknown) => schemaViolation(error as z.ZodError, 'request'),
});
