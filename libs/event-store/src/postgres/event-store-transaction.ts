import { backoffDelayMs, type Decider } from '@lethe/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { isConcurrencyError } from '../domain/errors';
import type { Event, NewEvent, RecordedEvent } from '../domain/event';
import type { ExpectedVersion } from '../domain/expected-version';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/retry-policy';
import type { UpcasterRegistry } from '../domain/upcasting';
import { withMetadata, type MetadataContext } from '../metadata';
import { enqueueOutbox } from '../outbox/enqueue-outbox';
import type { OutboxMessage } from '../outbox/outbox-message';
import { AdvisoryLockSpace } from './advisory-locks';
import { aggregateStream } from './aggregate-stream';
import { appendToStream } from './append-to-stream';
import { appendToStreams, readStreamVersions } from './append-to-streams';

/** What names a stream; callers may carry more (governance: aggregate type and id). */
export interface StreamRef {
  readonly streamId: string;
}

export interface EventStoreTransactionOptions<Target extends StreamRef = StreamRef> {
  /** Fills the metadata of decided events (a `decide` call may pass its own). */
  readonly metadata: MetadataContext;
  /** The outbox row that announces one appended event (written with it), if any. */
  readonly outboxOf?: (event: NewEvent, target: Target, streamVersion: number) => OutboxMessage;
  /**
   * Bulk mode: `decide` appends nothing at once; the decided events of every stream are appended
   * together by `flush()` (or at the end of the work) with one `appendToStreams` (a handful of
   * statements for any number of streams, same expected-version checks). Use it for work that
   * touches many streams and makes no other writes before `flush()` (so the stream locks are
   * still taken before the transaction gets its id, see API.md §2).
   */
  readonly bulk?: boolean;
  /**
   * Take each stream's append lock before reading it: writers of the stream queue up instead of
   * deciding on a version that another writer is about to replace. `handleCommand` turns it on
   * after a conflict.
   */
  readonly lockBeforeRead?: boolean;
  readonly upcasters?: UpcasterRegistry;
}

export interface RunOptions {
  readonly retry?: Partial<RetryPolicy>;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Loaded {
  state: unknown;
  version: number;
}

interface Pending {
  expected: ExpectedVersion;
  events: NewEvent[];
  outbox: OutboxMessage[];
}

/**
 * THE write path: one database transaction that decides on one or more streams. Each `decide`
 * loads the stream (or reuses what this transaction already wrote), runs the pure decider and
 * appends the events with the expected version it read, together with their outbox rows (one
 * round trip: `appendToStream`). Extra outbox rows go in with `enqueue` and are written in one
 * statement when the work is done. Everything commits together or not at all;
 * `runEventStoreTransaction` retries the whole work on a concurrency conflict.
 */
export class EventStoreTransaction<Target extends StreamRef = StreamRef> {
  private readonly loaded = new Map<string, Loaded>();
  private readonly outbox: OutboxMessage[] = [];
  private readonly pending = new Map<string, Pending>();
  /** Every event appended (or queued, in bulk mode) by this transaction, in decision order. */
  readonly appended: NewEvent[] = [];

  private constructor(
    /** The transaction, for the work's other writes (stores, inline read models). */
    readonly manager: EntityManager,
    private readonly options: EventStoreTransactionOptions<Target>,
  ) {}

  get metadata(): MetadataContext {
    return this.options.metadata;
  }

  /**
   * Runs `work` on an EventStoreTransaction over `manager` (which must be inside a database
   * transaction), then writes what is still queued. No retry: see `runEventStoreTransaction`.
   */
  static async run<T, Target extends StreamRef = StreamRef>(
    manager: EntityManager,
    options: EventStoreTransactionOptions<Target>,
    work: (tx: EventStoreTransaction<Target>) => Promise<T>,
  ): Promise<T> {
    const tx = new EventStoreTransaction<Target>(manager, options);
    const result = await work(tx);
    await tx.flush();
    await enqueueOutbox(manager, tx.outbox.splice(0));
    return result;
  }

  /** Bulk mode: appends every stream's pending events now (one `appendToStreams`). */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const appends = [...this.pending].map(([streamId, p]) => ({ streamId, ...p }));
    this.pending.clear();
    await appendToStreams(this.manager, appends);
  }

  /**
   * Loads the state of many streams at once: one query for their versions; a stream whose whole
   * history is in `known` (versions 1..current, e.g. events a subscriber holds in its batch) is
   * folded from those events without reading it; the others are read when first needed.
   */
  async preload<C, E extends Event, S>(
    targets: readonly Target[],
    decider: Decider<C, E, S>,
    known: ReadonlyMap<string, readonly RecordedEvent<E>[]>,
  ): Promise<void> {
    const missing = targets.filter((t) => !this.loaded.has(t.streamId));
    const versions = await readStreamVersions(
      this.manager,
      missing.map((t) => t.streamId),
    );
    for (const target of missing) {
      const version = versions.get(target.streamId) ?? 0;
      const events = known.get(target.streamId) ?? [];
      const complete =
        events.length === version && events.every((e, i) => e.streamVersion === i + 1);
      if (!complete) continue; // load() reads it when first needed
      let state = decider.initialState();
      for (const e of events) state = decider.evolve(state, e);
      this.loaded.set(target.streamId, { state, version });
    }
  }

  async state<C, E extends Event, S>(target: Target, decider: Decider<C, E, S>): Promise<S> {
    return (await this.load(target, decider)).state as S;
  }

  /** Version of the stream as this transaction sees it (after its own appends). */
  async version<C, E extends Event, S>(target: Target, decider: Decider<C, E, S>): Promise<number> {
    return (await this.load(target, decider)).version;
  }

  async decide<C, E extends Event, S>(
    target: Target,
    decider: Decider<C, E, S>,
    command: C,
    metadata: MetadataContext = this.options.metadata,
  ): Promise<{ events: readonly E[]; state: S; version: number }> {
    const current = await this.load(target, decider);
    const state = current.state as S;
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, version: current.version };
    const newEvents = withMetadata(events, metadata);
    const outboxOf = this.options.outboxOf;
    const outbox = outboxOf
      ? newEvents.map((e, i) => outboxOf(e, target, current.version + i + 1))
      : [];
    if (this.options.bulk) {
      const p = this.pending.get(target.streamId);
      if (p) {
        p.events.push(...newEvents);
        p.outbox.push(...outbox);
      } else {
        this.pending.set(target.streamId, { expected: current.version, events: newEvents, outbox });
      }
    } else {
      await appendToStream(this.manager, target.streamId, current.version, newEvents, outbox);
    }
    const next = events.reduce(decider.evolve, state);
    const version = current.version + events.length;
    this.loaded.set(target.streamId, { state: next, version });
    this.appended.push(...newEvents);
    return { events, state: next, version };
  }

  /** Outbox rows written with this transaction (after the appends' own rows). */
  enqueue(messages: readonly OutboxMessage[]): void {
    this.outbox.push(...messages);
  }

  private async load<C, E extends Event, S>(
    target: Target,
    decider: Decider<C, E, S>,
  ): Promise<Loaded> {
    const cached = this.loaded.get(target.streamId);
    if (cached) return cached;
    if (this.options.lockBeforeRead) {
      await this.manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        AdvisoryLockSpace.stream,
        target.streamId,
      ]);
    }
    const { state, currentVersion } = await aggregateStream<S, E>(
      this.manager,
      target.streamId,
      (s, e) => decider.evolve(s, e),
      () => decider.initialState(),
      { upcasters: this.options.upcasters },
    );
    const loaded = { state, version: currentVersion };
    this.loaded.set(target.streamId, loaded);
    return loaded;
  }
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, it fails with something `retriable` refuses, or the policy's
 * attempts are spent; between attempts it waits (exponential backoff, full jitter). The one retry
 * loop of the write path.
 */
export async function retryOnConflict<T>(
  attempt: (n: number) => Promise<T>,
  options: RunOptions & { readonly retriable?: (e: unknown) => boolean } = {},
): Promise<T> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const sleep = options.sleep ?? defaultSleep;
  const retriable = options.retriable ?? isConcurrencyError;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!retriable(e) || n >= policy.maxAttempts) throw e;
      await sleep(backoffDelayMs(n, policy));
    }
  }
}

/**
 * Runs `work` in a fresh database transaction; on a concurrency conflict (another writer appended
 * to one of the streams first, a deadlock, a serialization failure) rolls back, waits and runs it
 * again from scratch with fresh reads. Domain errors roll back and propagate unchanged.
 */
export function runEventStoreTransaction<T, Target extends StreamRef = StreamRef>(
  dataSource: DataSource,
  options: EventStoreTransactionOptions<Target> & RunOptions,
  work: (tx: EventStoreTransaction<Target>) => Promise<T>,
): Promise<T> {
  return retryOnConflict(
    () => dataSource.transaction((manager) => EventStoreTransaction.run(manager, options, work)),
    options,
  );
}
