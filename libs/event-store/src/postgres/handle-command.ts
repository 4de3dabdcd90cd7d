import type { DataSource, EntityManager } from 'typeorm';
import type { Decider } from '../domain/decider';
import { EventStoreConcurrencyError, isConcurrencyError } from '../domain/errors';
import type { Event, NewEvent } from '../domain/event';
import { matchesExpectedVersion, type ExpectedVersion } from '../domain/expected-version';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/retry-policy';
import type { UpcasterRegistry } from '../domain/upcasting';
import { withMetadata, type MetadataContext } from '../metadata';
import type { OutboxMessage } from '../outbox/outbox-message';
import { aggregateStream } from './aggregate-stream';
import { appendToStream } from './append-to-stream';

export interface DecisionContext<State> {
  readonly streamId: string;
  /** State after the new events. */
  readonly state: State;
  /** Version of the stream after the append. */
  readonly nextExpectedVersion: number;
}

export interface HandleCommandOptions<State, E extends Event> {
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
  readonly retry?: Partial<RetryPolicy>;
  readonly upcasters?: UpcasterRegistry;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface HandleCommandResult<State, E extends Event> {
  readonly newState: State;
  readonly newEvents: readonly NewEvent<E>[];
  readonly nextExpectedVersion: number;
  /** Transactions tried (1 = no conflict). */
  readonly attempts: number;
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Load → decide → append (expected version) → outbox, all in one transaction. On
 * CONCURRENCY_CONFLICT the transaction is rolled back and the whole thing is retried with a fresh
 * read (bounded attempts, exponential backoff with full jitter). Domain errors thrown by `decide`
 * roll back and propagate unchanged.
 */
export async function handleCommand<State, Command, E extends Event>(
  dataSource: DataSource,
  streamId: string,
  decider: Decider<State, Command, E>,
  command: Command,
  options: HandleCommandOptions<State, E>,
): Promise<HandleCommandResult<State, E>> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await dataSource.transaction((manager) =>
        decideAndAppend(manager, streamId, decider, command, options),
      );
      return { ...result, attempts: attempt };
    } catch (e) {
      // A stale version the caller pinned (expectedVersion) cannot succeed on retry; every other
      // conflict (stale read, transaction order, deadlock, serialization) can.
      const retriable =
        isConcurrencyError(e) && (options.expectedVersion === undefined || e.reason !== 'version');
      if (!retriable || attempt >= policy.maxAttempts) throw e;
      await sleep(backoffDelayMs(attempt, policy));
    }
  }
}

async function decideAndAppend<State, Command, E extends Event>(
  manager: EntityManager,
  streamId: string,
  decider: Decider<State, Command, E>,
  command: Command,
  options: HandleCommandOptions<State, E>,
): Promise<Omit<HandleCommandResult<State, E>, 'attempts'>> {
  const { state, currentVersion } = await aggregateStream<State, E>(
    manager,
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
  const newEvents = withMetadata(events, options.metadata);
  let newState = state;
  for (const event of events) newState = decider.evolve(newState, event);
  const nextExpectedVersion = currentVersion + events.length;
  const ctx: DecisionContext<State> = { streamId, state: newState, nextExpectedVersion };
  if (newEvents.length > 0) {
    const outbox = options.outbox?.(newEvents, ctx) ?? [];
    await appendToStream(manager, streamId, expected, newEvents, outbox);
  }
  await options.inTransaction?.(manager, { ...ctx, events: newEvents });
  return { newState, newEvents, nextExpectedVersion };
}
