/**
 * Base of every error the domain raises on purpose. `code` is stable (part of the contract: it
 * reaches HTTP problem+json `code` and the DLQ header `lethe-error-code`); `message` is for people.
 * The mapping to HTTP status or DLQ happens at the edge, never here.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  /** Broad class, used by the edges to pick an HTTP status. */
  abstract readonly kind: DomainErrorKind;

  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export type DomainErrorKind =
  | 'validation' // the input is wrong: 400 / DLQ
  | 'not-found' // 404
  | 'conflict' // concurrency or state conflict: 409
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'unprocessable' // well-formed but refused by a rule: 422
  | 'unavailable'; // a dependency is down: 503, retry

/**
 * A concrete error built from a code: as it is, for places that need no class of their own; and
 * the one base of each context's error class (`class JobError extends CodedError<JobErrorCode>`),
 * whose constructor takes the kind from the context's fixed code → kind table.
 */
export class CodedError<C extends string = string> extends DomainError {
  constructor(
    readonly code: C,
    readonly kind: DomainErrorKind,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message, details);
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
