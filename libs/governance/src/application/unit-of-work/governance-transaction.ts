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
 * expected version and writes one outbox row per event to `lethe.governance-events.v1`. Extra
 * outbox rows (jobs) go in with `enqueue`. Everything commits together or not at all.
 */
export class GovernanceTransaction {
  private readonly loaded = new Map<string, Loaded>();
  readonly appended: NewEvent[] = [];

  constructor(
    readonly manager: EntityManager,
    readonly metadata: MetadataContext,
  ) {}

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
    await appendToStream(this.manager, target.streamId, current.version, newEvents, outbox);
    const state = events.reduce(decider.evolve, current.state as S);
    this.loaded.set(target.streamId, { state, version: current.version + events.length });
    this.appended.push(...newEvents);
    return { events, state };
  }

  async enqueue(messages: readonly OutboxMessage[]): Promise<void> {
    await enqueueOutbox(this.manager, messages);
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
        work(new GovernanceTransaction(manager, metadata)),
      );
    } catch (e) {
      if (!isConcurrencyError(e) || attempt >= policy.maxAttempts) throw e;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * cap);
    }
  }
}
