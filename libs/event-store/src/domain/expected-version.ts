/**
 * What the writer believes the stream's version to be:
 * - a number n: the stream is at version n (0 means it does not exist yet, like 'no-stream');
 * - 'no-stream': the stream must not exist;
 * - 'any': no check (still serialized with other writers of the stream).
 */
export type ExpectedVersion = number | 'no-stream' | 'any';

export function assertValidExpectedVersion(expected: ExpectedVersion): void {
  if (typeof expected === 'number' && (!Number.isInteger(expected) || expected < 0)) {
    throw new RangeError(`expected version must be a non-negative integer, got ${expected}`);
  }
}

/** Does a stream at `actual` (0 = absent) satisfy `expected`? */
export function matchesExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no-stream') return actual === 0;
  return expected === actual;
}
