import { createZodValidationPipe } from 'nestjs-zod';
import { z } from 'zod';
import { CodedError } from '../../domain/domain-error';

/** Paths and rules of a zod error, never the values (a query may hold a subject id). */
export function violationsOf(error: z.ZodError, where: string): string[] {
  return error.issues
    .slice(0, 5)
    .map(
      (i) =>
        `${where}/${i.path.join('/')} ${
          i.code === 'invalid_enum_value' ? `must be one of ${i.options.join(', ')}` : i.message
        }`,
    );
}

/** A zod error as 400 SCHEMA_VIOLATION. */
export function schemaViolation(error: z.ZodError, where: string): CodedError {
  const violations = violationsOf(error, where);
  return new CodedError('SCHEMA_VIOLATION', 'validation', violations.join('; '), { violations });
}

/** How a route turns its violations into its own coded error (default: SCHEMA_VIOLATION). */
export type ViolationsToError = (violations: string[]) => Error;

/** The error of a violation list with a route's own code (a `validation` kind: 400). */
export const codedViolations =
  (code: string, prefix = 'invalid request'): ViolationsToError =>
  (violations) =>
    new CodedError(code, 'validation', `${prefix}: ${violations.join('; ')}`, { violations });

/**
 * Parses a value with its zod schema, or throws the route's coded error: for what a pipe cannot
 * see (one NDJSON line of a streamed body). Everything else goes through a ZodRequestPipe.
 */
export function parseRequest<S extends z.ZodTypeAny>(
  schema: S,
  value: unknown,
  where: string,
  toError?: ViolationsToError,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<S>;
  if (!toError) throw schemaViolation(parsed.error, where);
  throw toError(violationsOf(parsed.error, where));
}

/**
 * The validation pipe of every route: each parameter is a nestjs-zod DTO (`createZodDto`), so
 * the same zod schema validates the request and generates its OpenAPI (docs/adr/0015-authorisation.md).
 * Failures are 400 problem+json, SCHEMA_VIOLATION by default or the route's own code
 * (`zodRequestPipe(codedViolations('INVALID_RECORDS'))`). Use it per parameter,
 * `@Query(ZodRequestPipe) q: SomeQueryDto`, so a module works the same in any app.
 * `strictSchemaDeclaration`: a parameter without a zod DTO is a bug, not an unvalidated input.
 */
export const zodRequestPipe = (toError?: ViolationsToError) =>
  createZodValidationPipe({
    strictSchemaDeclaration: true,
    createValidationException: (error: unknown) => {
      const zodError = error instanceof z.ZodError ? error : null;
      if (!zodError) return schemaViolation(new z.ZodError([]), 'request');
      return toError
        ? toError(violationsOf(zodError, 'request'))
        : schemaViolation(zodError, 'request');
    },
  });

export const ZodRequestPipe = zodRequestPipe();
