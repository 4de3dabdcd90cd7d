import { z } from 'zod';
import { CodedError } from '../domain/domain-error';

/**
 * Opaque pagination cursors: base64url of a small JSON object naming the last row's sort key. A
 * client passes it back as it got it; one that does not decode, or does not fit the list's
 * shape, is 400 INVALID_CURSOR.
 */
export const encodeCursor = (position: Readonly<Record<string, string | number>>): string =>
  Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');

export function decodeCursor<S extends z.ZodTypeAny>(schema: S, cursor: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new CodedError('INVALID_CURSOR', 'validation', 'the cursor is not one this list gave');
  }
  return parsed.data as z.output<S>;
}

/** A sort key's timestamp to the microsecond, as PostgreSQL keeps it: epoch microseconds. */
export const epochMicrosSchema = z.string().regex(/^\d{1,17}$/);
