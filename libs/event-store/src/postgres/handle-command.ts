import type { Decider } from '@lethe/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { EventStoreConcurrencyError, isConcurrencyError } from '../domain/errors';
import type { Event, NewEvent } from '../domain/event';
import { matchesExpectedVersion, type ExpectedVersion } from '../domain/expected-version';
import type { UpcasterRegistry } from '../domain/upcasting';
import { withMetadata, type MetadataContext } from '../metadata';
import type { OutboxMessage } from '../outbox/outbox-message';
import { aggregateStream } from './aggregate-stream';
import { appendToStream } from './append-to-stream';
import { EventStoreTransaction, retryOnConflict, type RunOptions } from './event-store-transaction';

export interface DecisionContext<State> {
  readonly streamId: string;
  /** State after the new events. */
  readonly state: State;
  /** Version of the stream after the append. */
  readonly nextExpectedVersion: number;
}

export interface HandleCommandOptions<State, E extends Event> extends RunOptions {
  readonly metadata: MetadataContext;
  /**
   * The version the caller saw (e.g. an If-Match header). A mismatch fails at once, without
   * retry. Default: the version just read, and conflicts are retried.
   */
  readonly expectedVersion?: ExpectedVersion;
  /** Outbox rows to write with the events (same transaction). */
  readonly outbox?: (
    events: readonly NewEvent<E>[],
    ctx: DecisionContext<State>,
  ) => readonly OutboxMessage[];
  /** Extra writes in the same transaction (idempotency keys, inline read models). */
  readonly inTransaction?: (
    manager: EntityManager,
    result: DecisionContext<State> & { readonly events: readonly NewEvent<E>[] },
  ) => Promise<void>;
  readonly upcasters?: UpcasterRegistry;
}

export interface HandleCommandResult<State, E extends Event> {
  readonly newState: State;
  readonly newEvents: readonly NewEvent<E>[];
  readonly nextExpectedVersion: number;
  /** Transactions tried (1 = no conflict). */
  readonly attempts: number;
}

/**
 * Load → decide → append (expected version) → outbox for ONE stream, on the same kernel as
 * `runEventStoreTransaction` (same decide step, same append, same retry loop).
 *
 * First attempt, optimistic, two round trips: read the stream (one statement), decide, then append
 * events and outbox rows in one statement that is its own transaction (`appendToStream` on the
 * DataSource). After a conflict the retry is pessimistic: in a transaction it takes the stream's
 * append lock before reading, so concurrent writers of a hot stream queue up rather than collide
 * again. With `inTransaction` every attempt is a transaction (the extra writes must share it).
 * Domain errors thrown by `decide` propagate unchanged; nothing is written.
 */
export async function handleCommand<State, Command, E extends Event>(
  dataSource: DataSource,
  streamId: string,
  decider: Decider<Command, E, State>,
  command: Command,
  options: HandleCommandOptions<State, E>,
): Promise<HandleCommandResult<State, E>> {
  // A stale version the caller pinned (expectedVersion) cannot succeed on retry; every other
  // conflict (stale read, transaction order, deadlock, serialization) can.
  const retriable = (e: unknown): boolean =>
    isConcurrencyError(e) &&
    (options.expectedVersion === undefined ||
      options.expectedVersion === 'any' ||
      e.reason !== 'version');
  return retryOnConflict(
    async (attempt) => {
      const result =
        attempt === 1 && !options.inTransaction
          ? await decideAndAppendAtOnce(dataSource, streamId, decider, command, options)
          : await dataSource.transaction((manager) =>
              decideInTransaction(manager, streamId, decider, command, options, attempt > 1),
            );
      return { ...result, attempts: attempt };
    },
    { ...options, retriable },
  );
}

type Decided<State, E extends Event> = Omit<HandleCommandResult<State, E>, 'attempts'>;

/** The optimistic path: a read, then one self-committing append statement. */
async function decideAndAppendAtOnce<State, Command, E extends Event>(
  dataSource: DataSource,
  streamId: string,
  decider: Decider<Command, E, State>,
  command: Command,
  options: HandleCommandOptions<State, E>,
): Promise<Decided<State, E>> {
  const { state, currentVersion } = await aggregateStream<State, E>(
    dataSource,
    streamId,
    (s, e) => decider.evolve(s, e),
    () => decider.initialState(),
    { upcasters: options.upcasters },
  );
  const expected = options.expectedVersion ?? currentVersion;
  if (options.expectedVersion !== undefined && !matchesExpectedVersion(expected, currentVersion)) {
    throw new EventStoreConcurrencyError(streamId, expected, currentVersion);
  }
  const events = decider.decide(command, state);
  const newState = events.reduce(decider.evolve, state);
  const nextExpectedVersion = currentVersion + events.length;
  if (events.length === 0) return { newState, newEvents: [], nextExpectedVersion };
  const newEvents = withMetadata(events, options.metadata);
  const ctx: DecisionContext<State> = { streamId, state: newState, nextExpectedVersion };
  await appendToStream(dataSource, streamId, expected, newEvents, options.outbox?.(newEvents, ctx));
  return { newState, newEvents, nextExpectedVersion };
}

/** The transactional path: the kernel's EventStoreTransaction, one stream. */
async function decideInTransaction<State, Command, E extends Event>(
  manager: EntityManager,
  streamId: string,
  decider: Decider<Command, E, State>,
  command: Command,
  options: HandleCommandOptions<State, E>,
  lockBeforeRead: boolean,
): Promise<Decided<State, E>> {
  const target = { streamId };
  return EventStoreTransaction.run(
    manager,
    { metadata: options.metadata, upcasters: options.upcasters, lockBeforeRead },
    async (tx) => {
      if (options.expectedVersion !== undefined) {
        const actual = await tx.version(target, decider);
        if (!matchesExpectedVersion(options.expectedVersion, actual)) {
          throw new EventStoreConcurrencyError(streamId, options.expectedVersion, actual);
        }
      }
      const { state: newState, version: nextExpectedVersion } = await tx.decide(
        target,
        decider,
        command,
      );
      const newEvents = tx.appended as NewEvent<E>[];
      const ctx: DecisionContext<State> = { streamId, state: newState, nextExpectedVersion };
      if (newEvents.length > 0) tx.enqueue(options.outbox?.(newEvents, ctx) ?? []);
      await options.inTransaction?.(manager, { ...ctx, events: newEvents });
      return { newState, newEvents, nextExpectedVersion };
    },
  );
}
