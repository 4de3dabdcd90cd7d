import { DomainError } from '@lethe/shared';
import type { ExpectedVersion } from './expected-version';

export const EventStoreErrorCodes = {
  concurrencyConflict: 'CONCURRENCY_CONFLICT',
  duplicateEvent: 'DUPLICATE_EVENT',
  upcasterDuplicate: 'UPCASTER_DUPLICATE',
  projectionUnknown: 'PROJECTION_UNKNOWN',
  projectionNotResettable: 'PROJECTION_NOT_RESETTABLE',
  transactionRequired: 'EVENT_STORE_TRANSACTION_REQUIRED',
  catchUpTimeout: 'PROJECTION_CATCH_UP_TIMEOUT',
} as const;

/**
 * Why an append was refused:
 * - 'version': the stream is not at the expected version;
 * - 'transaction-order': the appending transaction is older (xid) than the stream's last writer,
 *   so its events would sort before that writer's in the global order; retry in a new transaction;
 * - 'deadlock' / 'serialization': PostgreSQL aborted the transaction (40P01 / 40001), typically
 *   two multi-stream transactions locking streams in opposite orders; retry.
 * In the last two cases the actual version is unknown (-1).
 */
export type ConcurrencyConflictReason =
  'version' | 'transaction-order' | 'deadlock' | 'serialization';

/** Expected-version check failed. Retrying in a fresh transaction (after re-reading) may succeed. */
export class EventStoreConcurrencyError extends DomainError {
  readonly code = EventStoreErrorCodes.concurrencyConflict;
  readonly kind = 'conflict' as const;

  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
    readonly reason: ConcurrencyConflictReason = 'version',
  ) {
    super(
      reason === 'version'
        ? `stream ${streamId}: expected version ${String(expected)}, actual ${actual}`
        : reason === 'transaction-order'
          ? `stream ${streamId}: appending transaction is older than the stream's last writer`
          : `stream ${streamId}: transaction aborted by PostgreSQL (${reason}), retry`,
      { streamId, expected, actual, reason },
    );
  }
}

/** An event with the same id (metadata.messageId) is already stored. */
export class EventStoreDuplicateEventError extends DomainError {
  readonly code = EventStoreErrorCodes.duplicateEvent;
  readonly kind = 'conflict' as const;

  constructor(
    readonly streamId: string,
    detail: string,
  ) {
    super(`stream ${streamId}: duplicate event id (${detail})`, { streamId });
  }
}

export const isConcurrencyError = (e: unknown): e is EventStoreConcurrencyError =>
  e instanceof EventStoreConcurrencyError;
