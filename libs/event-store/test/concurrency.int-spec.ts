import type { Decider } from '@lethe/shared';
import {
  appendToStream,
  EventStoreConcurrencyError,
  handleCommand,
  readStream,
  type Event,
} from '../src';
import {
  ev,
  eventually,
  openTestStore,
  openTransaction,
  waitForLockWait,
  type OpenTransaction,
  type TestStore,
} from './helpers';

type Added = Event<'Added', { n: number; at: number }>;
type Counter = { total: number; count: number };
type Add = { n: number };

const counter: Decider<Add, Added, Counter> = {
  initialState: () => ({ total: 0, count: 0 }),
  evolve: (s, e) => ({ total: s.total + e.data.n, count: s.count + 1 }),
  // `at` records the version the decision was based on: a stale decision would be visible.
  decide: (c, s) => [{ type: 'Added', data: { n: c.n, at: s.count } }],
};

const metadata = { correlationId: 'corr', causationId: null, actor: 'system:test' };

describe('event store: concurrent writers (two real transactions)', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('a second writer at the same expected version waits for the first, then gets CONCURRENCY_CONFLICT', async () => {
    await store.dataSource.transaction((m) =>
      appendToStream(m, 's-1', 'no-stream', [ev('Added', { n: 1 })]),
    );
    const a = await openTransaction(store.dataSource);
    const b = await openTransaction(store.dataSource);
    try {
      await appendToStream(a.manager, 's-1', 1, [ev('Added', { n: 2 })]);
      const bAppend = appendToStream(b.manager, 's-1', 1, [ev('Added', { n: 3 })]).then(
        () => 'appended',
        (e: unknown) => e,
      );
      await waitForLockWait(store.dataSource, store.databaseName); // B is blocked behind A
      await a.commit();
      const outcome = await bAppend;
      expect(outcome).toBeInstanceOf(EventStoreConcurrencyError);
      expect(outcome).toMatchObject({
        code: 'CONCURRENCY_CONFLICT',
        streamId: 's-1',
        expected: 1,
        actual: 2,
      });
    } finally {
      await b.rollback();
    }
    const read = await readStream<Added>(store.dataSource, 's-1');
    expect(read.events.map((e) => e.data.n)).toEqual([1, 2]);
  });

  it("two concurrent creators ('no-stream'): one wins, the other conflicts", async () => {
    const a = await openTransaction(store.dataSource);
    const b = await openTransaction(store.dataSource);
    try {
      await appendToStream(a.manager, 's-2', 'no-stream', [ev('Added', { n: 1 })]);
      const bAppend = appendToStream(b.manager, 's-2', 'no-stream', [ev('Added', { n: 2 })]).catch(
        (e: unknown) => e,
      );
      await waitForLockWait(store.dataSource, store.databaseName);
      await a.commit();
      expect(await bAppend).toMatchObject({
        code: 'CONCURRENCY_CONFLICT',
        expected: 'no-stream',
        actual: 1,
      });
    } finally {
      await b.rollback();
    }
  });

  it('handleCommand: the losing writer retries with a fresh read and appends at the next version', async () => {
    const streamId = 'counter-1';
    await handleCommand(store.dataSource, streamId, counter, { n: 1 }, { metadata });

    // A decides and appends, then holds its transaction open in `inTransaction`.
    let releaseA!: () => void;
    const aHolding = new Promise<void>((resolve) => (releaseA = resolve));
    let aAppended!: () => void;
    const aReady = new Promise<void>((resolve) => (aAppended = resolve));
    const a = handleCommand(
      store.dataSource,
      streamId,
      counter,
      { n: 10 },
      {
        metadata,
        inTransaction: async () => {
          aAppended();
          await aHolding;
        },
      },
    );
    await aReady;
    // B reads version 1 (A is uncommitted), decides, and blocks on the stream lock.
    const b = handleCommand(
      store.dataSource,
      streamId,
      counter,
      { n: 100 },
      { metadata, retry: { baseDelayMs: 1 } },
    );
    await waitForLockWait(store.dataSource, store.databaseName);
    releaseA();

    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.attempts).toBe(1);
    expect(ra.nextExpectedVersion).toBe(2);
    expect(rb.attempts).toBe(2);
    expect(rb.nextExpectedVersion).toBe(3);
    expect(rb.newState).toEqual({ total: 111, count: 3 });

    const read = await readStream<Added>(store.dataSource, streamId);
    expect(read.events.map((e) => [e.streamVersion, e.data.n, e.data.at])).toEqual([
      [1, 1, 0],
      [2, 10, 1],
      [3, 100, 2], // B's retry decided on the state that includes A's event
    ]);
  });

  it('handleCommand: many concurrent writers on one stream all succeed, versions stay gapless', async () => {
    const streamId = 'counter-many';
    const writers = 12;
    const results = await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        handleCommand(
          store.dataSource,
          streamId,
          counter,
          { n: i + 1 },
          {
            metadata,
            retry: { maxAttempts: 50, baseDelayMs: 2, maxDelayMs: 50 },
          },
        ),
      ),
    );
    const read = await readStream<Added>(store.dataSource, streamId);
    expect(read.events.map((e) => e.streamVersion)).toEqual(
      Array.from({ length: writers }, (_, i) => i + 1),
    );
    expect(read.events.map((e) => e.data.at)).toEqual(Array.from({ length: writers }, (_, i) => i));
    expect(read.events.reduce((s, e) => s + e.data.n, 0)).toBe((writers * (writers + 1)) / 2);
    expect(results.some((r) => r.attempts > 1)).toBe(true);
  });

  // Every attempt is made to lose the same way: a competing transaction appends (uncommitted)
  // before the attempt, and commits once the attempt is blocked behind it.
  const armCompetitor = async (streamId: string): Promise<OpenTransaction> => {
    const c = await openTransaction(store.dataSource);
    await appendToStream(c.manager, streamId, 'any', [ev('Added', { n: 0, at: -1 })]);
    return c;
  };

  it('handleCommand gives up after maxAttempts and rethrows the conflict', async () => {
    const streamId = 'counter-busy';
    await handleCommand(store.dataSource, streamId, counter, { n: 1 }, { metadata });
    let attempts = 0;
    const busy: Decider<Add, Added, Counter> = {
      ...counter,
      decide: (c, s) => {
        attempts += 1;
        return counter.decide(c, s);
      },
    };
    const competitor = await armCompetitor(streamId);
    const run = handleCommand(
      store.dataSource,
      streamId,
      busy,
      { n: 1 },
      { metadata, retry: { maxAttempts: 1 } },
    );
    // The rejection can arrive before the commit's reply resolves `competitor.commit()`; a handler
    // attached now keeps it from being reported as an unhandled rejection (Jest 30 fails on those).
    run.catch(() => undefined);
    await waitForLockWait(store.dataSource, store.databaseName);
    await competitor.commit();
    await expect(run).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', reason: 'version' });
    expect(attempts).toBe(1);
  });

  it('handleCommand: after a conflict the retry takes the stream lock before reading, so it waits instead of losing again', async () => {
    const streamId = 'counter-queue';
    await handleCommand(store.dataSource, streamId, counter, { n: 1 }, { metadata });
    let attempts = 0;
    const spy: Decider<Add, Added, Counter> = {
      ...counter,
      decide: (c, s) => (attempts++, counter.decide(c, s)),
    };
    let competitor = await armCompetitor(streamId);
    let armed = 1;
    const run = handleCommand(
      store.dataSource,
      streamId,
      spy,
      { n: 5 },
      {
        metadata,
        retry: { maxAttempts: 2 },
        sleep: async () => {
          competitor = await armCompetitor(streamId);
          armed += 1;
        },
      },
    );
    for (let round = 1; round <= 2; round++) {
      await eventually(() => expect(armed).toBe(round));
      await waitForLockWait(store.dataSource, store.databaseName);
      await competitor.commit();
    }
    const r = await run;
    expect(r.attempts).toBe(2);
    expect(attempts).toBe(2); // the second decision is made once, after the competitor's commit
    const read = await readStream<Added>(store.dataSource, streamId);
    // versions: 1 (first command), 2 and 3 (competitors), 4 (the retry, decided on count 3)
    expect(read.events.map((e) => [e.streamVersion, e.data.at])).toEqual([
      [1, 0],
      [2, -1],
      [3, -1],
      [4, 3],
    ]);
  });

  it('an explicit expectedVersion mismatch fails at once, without retry', async () => {
    const streamId = 'counter-if-match';
    await handleCommand(store.dataSource, streamId, counter, { n: 1 }, { metadata });
    let attempts = 0;
    const spy: Decider<Add, Added, Counter> = {
      ...counter,
      decide: (c, s) => (attempts++, counter.decide(c, s)),
    };
    await expect(
      handleCommand(store.dataSource, streamId, spy, { n: 1 }, { metadata, expectedVersion: 0 }),
    ).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', expected: 0, actual: 1 });
    expect(attempts).toBe(0);
    const ok = await handleCommand(
      store.dataSource,
      streamId,
      counter,
      { n: 1 },
      { metadata, expectedVersion: 1 },
    );
    expect(ok.nextExpectedVersion).toBe(2);
  });

  it('a decider refusal rolls everything back and propagates unchanged', async () => {
    const refusing: Decider<Add, Added, Counter> = {
      ...counter,
      decide: () => {
        throw new Error('refused');
      },
    };
    await expect(
      handleCommand(
        store.dataSource,
        'counter-refused',
        refusing,
        { n: 1 },
        {
          metadata,
          inTransaction: async (m) => {
            await m.query(`INSERT INTO idempotency_keys (key, stream_id) VALUES ('never', 'x')`);
          },
        },
      ),
    ).rejects.toThrow('refused');
    expect((await readStream(store.dataSource, 'counter-refused')).streamExists).toBe(false);
  });

  it('refuses an append from a transaction older than the stream’s last writer (transaction-order), a retry succeeds', async () => {
    await store.dataSource.transaction((m) =>
      appendToStream(m, 's-order', 'no-stream', [ev('Added', { n: 1 })]),
    );
    const old = await openTransaction(store.dataSource);
    try {
      // `old` takes its transaction id first (any write does), then a younger transaction appends and commits.
      await old.manager.query(
        `INSERT INTO idempotency_keys (key, stream_id) VALUES ('k-old', 's-order')`,
      );
      await store.dataSource.transaction((m) =>
        appendToStream(m, 's-order', 1, [ev('Added', { n: 2 })]),
      );
      // Version 2 is right, but `old`'s xid is smaller than the last writer's: its event would sort first.
      const outcome = await appendToStream(old.manager, 's-order', 2, [
        ev('Added', { n: 3 }),
      ]).catch((e: unknown) => e);
      expect(outcome).toMatchObject({
        code: 'CONCURRENCY_CONFLICT',
        reason: 'transaction-order',
        actual: 2,
      });
    } finally {
      await old.rollback();
    }
    await store.dataSource.transaction((m) =>
      appendToStream(m, 's-order', 2, [ev('Added', { n: 3 })]),
    );
    const read = await readStream<Added>(store.dataSource, 's-order');
    const txids = read.events.map((e) => e.transactionId);
    expect(txids).toEqual([...txids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
  });
});

describe('event store: multi-stream transactions that lock streams in opposite orders', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('a deadlock surfaces as a retriable CONCURRENCY_CONFLICT (reason deadlock)', async () => {
    const a = await openTransaction(store.dataSource);
    const b = await openTransaction(store.dataSource);
    try {
      await appendToStream(a.manager, 'left', 'any', [ev('Added', { n: 1 })]);
      await appendToStream(b.manager, 'right', 'any', [ev('Added', { n: 2 })]);
      const aSecond = appendToStream(a.manager, 'right', 'any', [ev('Added', { n: 3 })]).then(
        () => 'ok',
        (e: unknown) => e,
      );
      await waitForLockWait(store.dataSource, store.databaseName);
      const bSecond = appendToStream(b.manager, 'left', 'any', [ev('Added', { n: 4 })]).then(
        () => 'ok',
        (e: unknown) => e,
      );
      const outcomes = await Promise.all([aSecond, bSecond]);
      const failed = outcomes.filter((o) => o !== 'ok');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        code: 'CONCURRENCY_CONFLICT',
        reason: 'deadlock',
        actual: -1,
      });
      expect(failed[0]).toBeInstanceOf(EventStoreConcurrencyError);
    } finally {
      await a.rollback();
      await b.rollback();
    }
  });
});
