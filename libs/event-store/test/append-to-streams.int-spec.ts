import {
  appendToStream,
  appendToStreams,
  encodeOutboxValue,
  enqueueOutbox,
  EventStoreConcurrencyError,
  readAll,
  readStream,
  readStreamVersions,
  START,
  type OutboxMessage,
} from '../src';
import {
  ev,
  openTestStore,
  openTransaction,
  sleep,
  waitForLockWait,
  type TestStore,
} from './helpers';

type Numbered = { type: string; data: { n: number } };

describe('appendToStreams / readStreamVersions: bulk append to many streams (NEEDS §3)', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  const create = (streamId: string, count: number) =>
    store.dataSource.transaction((m) =>
      appendToStream(
        m,
        streamId,
        'no-stream',
        Array.from({ length: count }, (_, n) => ev('E', { n })),
      ),
    );

  it('appends to existing, new and any-version streams in one call, with outbox rows in input order', async () => {
    await create('bulk-a', 1);
    await create('bulk-b', 2);
    await create('bulk-any', 1);
    const results = await store.dataSource.transaction((m) =>
      appendToStreams(m, [
        {
          streamId: 'bulk-b',
          expected: 2,
          events: [ev('E', { n: 2 })],
          outbox: [{ topic: 't', key: 'b', value: { n: 2 } }],
        },
        {
          streamId: 'bulk-a',
          expected: 1,
          events: [ev('E', { n: 1 }), ev('E', { n: 2 })],
          outbox: [{ topic: 't', key: 'a', value: 'a' }],
        },
        { streamId: 'bulk-new', expected: 'no-stream', events: [ev('E', { n: 0 })] },
        { streamId: 'bulk-any', expected: 'any', events: [ev('E', { n: 1 })] },
        {
          streamId: 'bulk-check',
          expected: 0,
          events: [],
          outbox: [{ topic: 't', key: 'check', value: null }],
        },
      ]),
    );
    expect(results.get('bulk-a')?.nextExpectedVersion).toBe(3);
    expect(results.get('bulk-b')?.nextExpectedVersion).toBe(3);
    expect(results.get('bulk-new')?.nextExpectedVersion).toBe(1);
    expect(results.get('bulk-any')?.nextExpectedVersion).toBe(2);
    expect(results.get('bulk-check')).toEqual({
      nextExpectedVersion: 0,
      lastGlobalPosition: 0n,
      transactionId: 0n,
    });
    const a = results.get('bulk-a');
    const b = results.get('bulk-b');
    expect(a?.transactionId).toBeGreaterThan(0n);
    expect(a?.transactionId).toBe(b?.transactionId);

    const ra = await readStream<Numbered>(store.dataSource, 'bulk-a');
    expect(ra.events.map((e) => [e.streamVersion, e.data.n])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
    expect(ra.events[2]?.globalPosition).toBe(a?.lastGlobalPosition);
    const rb = await readStream<Numbered>(store.dataSource, 'bulk-b');
    expect(rb.events.map((e) => [e.streamVersion, e.data.n])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
    const outbox = await store.dataSource.query<{ key: string; value: Buffer | null }[]>(
      `SELECT key, value FROM outbox ORDER BY id`,
    );
    expect(outbox.map((o) => [o.key, o.value?.toString() ?? null])).toEqual([
      ['b', '{"n":2}'],
      ['a', 'a'],
      ['check', null],
    ]);
    const versions = await readStreamVersions(store.dataSource, [
      'bulk-a',
      'bulk-b',
      'bulk-new',
      'bulk-missing',
    ]);
    expect([...versions].sort()).toEqual([
      ['bulk-a', 3],
      ['bulk-b', 3],
      ['bulk-missing', 0],
      ['bulk-new', 1],
    ]);
  });

  it('is all or nothing: one stale expected version refuses the whole batch', async () => {
    await create('aon-1', 1);
    await create('aon-2', 1);
    const attempt = store.dataSource.transaction((m) =>
      appendToStreams(m, [
        {
          streamId: 'aon-1',
          expected: 1,
          events: [ev('E', { n: 1 })],
          outbox: [{ topic: 't', key: 'aon', value: { n: 1 } }],
        },
        { streamId: 'aon-2', expected: 5, events: [ev('E', { n: 1 })] },
      ]),
    );
    await expect(attempt).rejects.toBeInstanceOf(EventStoreConcurrencyError);
    await expect(attempt).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      details: { streamId: 'aon-2', expected: 5, actual: 1, reason: 'version' },
    });
    const versions = await readStreamVersions(store.dataSource, ['aon-1', 'aon-2']);
    expect(versions.get('aon-1')).toBe(1);
    expect(versions.get('aon-2')).toBe(1);
    const rows = await store.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM outbox WHERE key = 'aon'`,
    );
    expect(rows[0]?.n).toBe(0);
    // 'no-stream' on an existing stream and a version on a missing one are conflicts too
    await expect(
      store.dataSource.transaction((m) =>
        appendToStreams(m, [{ streamId: 'aon-1', expected: 'no-stream', events: [ev('E', {})] }]),
      ),
    ).rejects.toMatchObject({ details: { streamId: 'aon-1', actual: 1 } });
    await expect(
      store.dataSource.transaction((m) =>
        appendToStreams(m, [{ streamId: 'aon-absent', expected: 2, events: [ev('E', {})] }]),
      ),
    ).rejects.toMatchObject({ details: { streamId: 'aon-absent', actual: 0 } });
    await expect(
      store.dataSource.transaction((m) =>
        appendToStreams(m, [
          { streamId: 'dup', expected: 'any', events: [ev('E', {})] },
          { streamId: 'dup', expected: 'any', events: [ev('E', {})] },
        ]),
      ),
    ).rejects.toBeInstanceOf(RangeError);
  });

  it('waits for a concurrent writer of one of its streams, then reports the conflict', async () => {
    await create('race-x', 1);
    await create('race-y', 1);
    const other = await openTransaction(store.dataSource);
    await appendToStream(other.manager, 'race-y', 1, [ev('E', { n: 100 })]);
    const mine = store.dataSource.transaction((m) =>
      appendToStreams(m, [
        { streamId: 'race-x', expected: 1, events: [ev('E', { n: 1 })] },
        { streamId: 'race-y', expected: 1, events: [ev('E', { n: 1 })] },
      ]),
    );
    mine.catch(() => undefined);
    await waitForLockWait(store.dataSource, store.databaseName);
    await sleep(20);
    await other.commit();
    await expect(mine).rejects.toMatchObject({
      details: { streamId: 'race-y', expected: 1, actual: 2, reason: 'version' },
    });
    const x = await readStream<Numbered>(store.dataSource, 'race-x');
    expect(x.currentVersion).toBe(1);
  });

  it('refuses an append from a transaction older than the stream last writer (transaction-order)', async () => {
    await create('order-1', 1);
    const older = await openTransaction(store.dataSource);
    // `older` takes its transaction id now, by writing something else first
    await older.manager.query(`SELECT pg_current_xact_id()`);
    await store.dataSource.transaction((m) =>
      appendToStreams(m, [{ streamId: 'order-1', expected: 1, events: [ev('E', { n: 1 })] }]),
    );
    await expect(
      appendToStreams(older.manager, [
        { streamId: 'order-1', expected: 2, events: [ev('E', { n: 2 })] },
      ]),
    ).rejects.toMatchObject({ details: { streamId: 'order-1', reason: 'transaction-order' } });
    await older.rollback();
  });

  it('keeps each stream in version order in the global log', async () => {
    await create('log-1', 1);
    await create('log-2', 1);
    const from = (await readAll(store.dataSource, START, { limit: 100_000 })).checkpoint;
    await store.dataSource.transaction((m) =>
      appendToStreams(m, [
        { streamId: 'log-2', expected: 1, events: [ev('E', { n: 1 }), ev('E', { n: 2 })] },
        { streamId: 'log-1', expected: 1, events: [ev('E', { n: 1 })] },
      ]),
    );
    const after = await readAll<Numbered>(store.dataSource, from);
    expect(after.events.map((e) => `${e.streamId}@${e.streamVersion}`)).toEqual([
      'log-2@2',
      'log-2@3',
      'log-1@2',
    ]);
  });
});

describe('enqueueOutbox: one json parameter, same bytes as encodeOutboxValue', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('stores objects, strings, buffers, awkward text and tombstones byte for byte', async () => {
    const messages: OutboxMessage[] = [
      { topic: 't', key: 'obj', value: { b: 1, a: [1, 2, { 'x y': 'é\u2028"\\' }], z: null } },
      { topic: 't', key: 'str', value: 'plain é 😀' },
      { topic: 't', key: 'nul', value: 'a\u0000b' },
      { topic: 't', key: 'lone', value: 'x\uD800y' },
      { topic: 't', key: 'objnul', value: { s: 'a\u0000b\uD800' } },
      { topic: 't', key: 'buf', value: Buffer.from([0, 1, 254, 255]) },
      { topic: 't', key: null, value: null, headers: { h: 'v' } },
    ];
    await store.dataSource.transaction((m) => enqueueOutbox(m, messages));
    const rows = await store.dataSource.query<
      { topic: string; key: string | null; value: Buffer | null; headers: unknown }[]
    >(`SELECT topic, key, value, headers FROM outbox ORDER BY id`);
    expect(rows.map((r) => r.key)).toEqual(messages.map((m) => m.key));
    rows.forEach((r, i) => {
      const expected = encodeOutboxValue(messages[i]!.value);
      expect(r.value === null ? null : r.value.toString('hex')).toEqual(
        expected === null ? null : expected.toString('hex'),
      );
      expect(r.headers).toEqual(messages[i]!.headers ?? {});
    });
  });
});
