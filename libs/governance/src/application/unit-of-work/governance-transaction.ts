import type { DataSource, EntityManager } from 'typeorm';
import {
  EventStoreTransaction,
  runEventStoreTransaction,
  type EventStoreTransactionOptions,
  type MetadataContext,
  type RetryPolicy,
} from '@lethe/event-store';
import type { StreamTarget } from '../../domain/shared/stream-names';
import { governanceEventMessage } from '../messages/governance-cloud-event';

/**
 * Governance's binding of the event store's write path (`@lethe/event-store`
 * `EventStoreTransaction` / `runEventStoreTransaction`): streams are named by a StreamTarget, and
 * every appended event leaves through the outbox to `lethe.governance-events.v1` as a CloudEvent,
 * with the events, in the same transaction. Nothing else: the load → decide → append → retry
 * loop is the event store's.
 */
export type GovernanceTransaction = EventStoreTransaction<StreamTarget>;

export type GovernanceTransactionOptions = Pick<EventStoreTransactionOptions, 'bulk'>;

/** Governance commands retry a little longer than the event store's default. */
const GOVERNANCE_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 250 };

const bind = (metadata: MetadataContext, options: GovernanceTransactionOptions) => ({
  ...options,
  metadata,
  outboxOf: governanceEventMessage,
});

/** Runs `work` in the caller's transaction `manager` (no retry: the caller owns the transaction). */
export const inGovernanceTransaction = <T>(
  manager: EntityManager,
  metadata: MetadataContext,
  work: (tx: GovernanceTransaction) => Promise<T>,
  options: GovernanceTransactionOptions = {},
): Promise<T> => EventStoreTransaction.run(manager, bind(metadata, options), work);

/**
 * Runs `work` in a fresh transaction, retried from scratch on a concurrency conflict (see
 * `runEventStoreTransaction`). Domain errors roll back and propagate.
 */
export const runGovernanceTransaction = <T>(
  dataSource: DataSource,
  metadata: MetadataContext,
  work: (tx: GovernanceTransaction) => Promise<T>,
  retry: Partial<RetryPolicy> = {},
  options: GovernanceTransactionOptions = {},
): Promise<T> =>
  runEventStoreTransaction(
    dataSource,
    { ...bind(metadata, options), retry: { ...GOVERNANCE_RETRY, ...retry } },
    work,
  );
