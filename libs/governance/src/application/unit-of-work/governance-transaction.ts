import type { DataSource, EntityManager } from 'typeorm';
import {
  aggregateStream,
  appendToStream,
  appendToStreams,
  enqueueOutbox,
  readStreamVersions,
  type ExpectedVersion,
  type RecordedEvent,
  isConcurrencyError,
  withMetadata,
  type Event,
  type MetadataContext,
  type NewEvent,
  type OutboxMessage,
} from '@lethe/event-store';
import type { Decider } from '../../domain/shared/decider';
import type { StreamTarget } from '../../domain/shared/stream-names';
import { governanceEventMessage } from '../messages/governance-cloud-event';

interface Loaded {
  state: unknown;
  version: number;
}

interface Pending {
  expected: ExpectedVersion;
  events: NewEvent[];
}

export interface GovernanceTransactionOptions {
  /**
   * Bulk mode: `decide` appends nothing at once; the decided events of every stream are appended
   * together by `flush()` (or at the end of `run`) with one `appendToStreams` (a handful of
   * statements for any number of streams, same expected-version checks). Use it for use cases
   * that touch many streams and make no other writes before `flush()` (so the stream locks are
   * still taken before the transaction gets its id, see event-store API §2).
   */
  readonly bulk?: boolean;
}

/**
 * One database transaction that may decide on several streams: each `decide` loads the stream
 * (or reuses what this transaction already wrote), runs the pure decider, appends with the
 * expected version and queues one outbox row per event to `lethe.governance-events.v1`. Extra
 * outbox rows (jobs) go in with `enqueue`. The queued rows are written in one statement, in
 * decision order, when the work is done (see `inGovernanceTransaction`). Everything commits
 * together or not at all.
 */
export class GovernanceTransaction {
  private readonly loaded = new Map<string, Loaded>();
  private readonly outbox: OutboxMessage[] = [];
  private readonly pending = new Map<string, Pending>();
  readonly appended: NewEvent[] = [];

  private constructor(
    readonly manager: EntityManager,
    readonly metadata: MetadataContext,
    private readonly options: GovernanceTransactionOptions = {},
  ) {}

  /**
   * Runs `work` on a GovernanceTransaction over `manager` (which must be inside a database
   * transaction), then writes the queued outbox rows.
   */
  static async run<T>(
    manager: EntityManager,
    metadata: MetadataContext,
    work: (tx: GovernanceTransaction) => Promise<T>,
    options: GovernanceTransactionOptions = {},
  ): Promise<T> {
    const tx = new GovernanceTransaction(manager, metadata, options);
    const result = await work(tx);
    await tx.flush();
    await enqueueOutbox(manager, tx.outbox.splice(0));
    return result;
  }

  /** Bulk mode: appends every stream's pending events now (one `appendToStreams`). */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const appends = [...this.pending].map(([streamId, p]) => ({
      streamId,
      expected: p.expected,
      events: p.events,
    }));
    this.pending.clear();
    await appendToStreams(this.manager, appends);
  }

  /**
   * Loads the state of many streams at once: one query for their versions; a stream whose whole
   * history is in `known` (versions 1..current, e.g. events a subscriber holds in its batch) is
   * folded from those events without reading it; the others are read one by one.
   */
  async preload<C, E extends Event, S>(
    targets: readonly StreamTarget[],
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

  async state<C, E extends Event, S>(target: StreamTarget, decider: Decider<C, E, S>): Promise<S> {
    return (await this.load(target, decider)).state as S;
  }

  async decide<C, E extends Event, S>(
    target: StreamTarget,
    decider: Decider<C, E, S>,
    command: C,
    metadata: MetadataContext = this.metadata,
  ): Promise<{ events: readonly E[]; state: S }> {
    const current = await this.load(target, decider);
    const events = decider.decide(command, current.state as S);
    if (events.length === 0) return { events, state: current.state as S };
    const newEvents = withMetadata(events, metadata);
    const outbox = newEvents.map((e, i) =>
      governanceEventMessage(e, target, current.version + i + 1),
    );
    if (this.options.bulk) {
      const p = this.pending.get(target.streamId);
      if (p) p.events.push(...newEvents);
      else this.pending.set(target.streamId, { expected: current.version, events: newEvents });
    } else {
      await appendToStream(this.manager, target.streamId, current.version, newEvents);
    }
    this.outbox.push(...outbox);
    const state = events.reduce(decider.evolve, current.state as S);
    this.loaded.set(target.streamId, { state, version: current.version + events.length });
    this.appended.push(...newEvents);
    return { events, state };
  }

  enqueue(messages: readonly OutboxMessage[]): void {
    this.outbox.push(...messages);
  }

  private async load<C, E extends Event, S>(
    target: StreamTarget,
    decider: Decider<C, E, S>,
  ): Promise<Loaded> {
    const cached = this.loaded.get(target.streamId);
    if (cached) return cached;
    const { state, currentVersion } = await aggregateStream<S, E>(
      this.manager,
      target.streamId,
      (s, e) => decider.evolve(s, e),
      () => decider.initialState(),
    );
    const loaded = { state, version: currentVersion };
    this.loaded.set(target.streamId, loaded);
    return loaded;
  }
}

export interface TransactionRetry {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

const DEFAULT_RETRY: TransactionRetry = { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 250 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs `work` in a fresh transaction; on a concurrency conflict (another writer appended to one of
 * the streams first) rolls back, waits (exponential, full jitter) and runs it again from scratch.
 * Domain errors roll back and propagate.
 */
export async function runGovernanceTransaction<T>(
  dataSource: DataSource,
  metadata: MetadataContext,
  work: (tx: GovernanceTransaction) => Promise<T>,
  retry: Partial<TransactionRetry> = {},
  options: GovernanceTransactionOptions = {},
): Promise<T> {
  const policy = { ...DEFAULT_RETRY, ...retry };
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction((manager) =>
        GovernanceTransaction.run(manager, metadata, work, options),
      );
    } catch (e) {
      if (!isConcurrencyError(e) || attempt >= policy.maxAttempts) throw e;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * cap);
    }
  }
}
