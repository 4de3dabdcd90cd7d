import type { DataSource, EntityManager } from 'typeorm';
import {
  aggregateStream,
  appendToStream,
  enqueueOutbox,
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
  readonly appended: NewEvent[] = [];

  private constructor(
    readonly manager: EntityManager,
    readonly metadata: MetadataContext,
  ) {}

  /**
   * Runs `work` on a GovernanceTransaction over `manager` (which must be inside a database
   * transaction), then writes the queued outbox rows.
   */
  static async run<T>(
    manager: EntityManager,
    metadata: MetadataContext,
    work: (tx: GovernanceTransaction) => Promise<T>,
  ): Promise<T> {
    const tx = new GovernanceTransaction(manager, metadata);
    const result = await work(tx);
    await enqueueOutbox(manager, tx.outbox.splice(0));
    return result;
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
    await appendToStream(this.manager, target.streamId, current.version, newEvents);
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
): Promise<T> {
  const policy = { ...DEFAULT_RETRY, ...retry };
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction((manager) =>
        GovernanceTransaction.run(manager, metadata, work),
      );
    } catch (e) {
      if (!isConcurrencyError(e) || attempt >= policy.maxAttempts) throw e;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * cap);
    }
  }
}
