import {
  appendToNewStreams,
  appendToStream,
  EventStoreDuplicateEventError,
  readAll,
  readStream,
  START,
} from '../src';
import {
  ev,
  openTestStore,
  openTransaction,
  sleep,
  waitForLockWait,
  type TestStore,
} from './helpers';

describe('appendToNewStreams: bulk creation of new streams (intake path)', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('creates the missing streams with their events and outbox rows, skips existing ones and repeats', async () => {
    await store.dataSource.transaction((m) =>
      appendToStream(m, 'req-2', 'no-stream', [ev('Requested', { n: 0 })]),
    );
    const streams = [1, 2, 3].map((n) => ({
      streamId: `req-${n}`,
      events: [ev('Requested', { n }), ev('Validated', { n })],
      outbox: [{ topic: 'lethe.governance-events.v1', key: `req-${n}`, value: { n } }],
    }));
    const { created } = await store.dataSource.transaction((m) =>
      appendToNewStreams(m, [...streams, { ...streams[0]!, events: [ev('Requested', { n: 99 })] }]),
    );
    expect([...created].sort()).toEqual(['req-1', 'req-3']);

    const r1 = await readStream<{ type: string; data: { n: number } }>(store.dataSource, 'req-1');
    expect(r1.currentVersion).toBe(2);
    expect(r1.events.map((e) => [e.streamVersion, e.type, e.data.n])).toEqual([
      [1, 'Requested', 1],
      [2, 'Validated', 1],
    ]);
    const r2 = await readStream<{ type: string; data: { n: number } }>(store.dataSource, 'req-2');
    expect(r2.events.map((e) => e.data.n)).toEqual([0]); // untouched
    const outbox = await store.dataSource.query<
      {
        key: string;
      }[]
    >(`SELECT key FROM outbox ORDER BY id`);
    expect(outbox.map((o) => o.key)).toEqual(['req-1', 'req-3']);
    // and the new events are in the global log in batch order
    const all = await readAll(store.dataSource, START);
    expect(all.events.map((e) => `${e.streamId}@${e.streamVersion}`)).toEqual([
      'req-2@1',
      'req-1@1',
      'req-1@2',
      'req-3@1',
      'req-3@2',
    ]);
  });

  it('waits for a concurrent creator of the same stream, then skips it', async () => {
    const other = await openTransaction(store.dataSource);
    await appendToNewStreams(other.manager, [
      { streamId: 'race-1', events: [ev('Requested', { by: 'other' })] },
    ]);
    const mine = store.dataSource.transaction((m) =>
      appendToNewStreams(m, [
        { streamId: 'race-1', events: [ev('Requested', { by: 'me' })] },
        { streamId: 'race-2', events: [ev('Requested', { by: 'me' })] },
      ]),
    );
    await waitForLockWait(store.dataSource, store.databaseName);
    await sleep(20);
    await other.commit();
    const { created } = await mine;
    expect([...created]).toEqual(['race-2']);
    const r = await readStream<{ type: string; data: { by: string } }>(store.dataSource, 'race-1');
    expect(r.events.map((e) => e.data.by)).toEqual(['other']);
  });

  it('alsoWrite runs in the same transaction with the created streams only, its statement pipelined after the append', async () => {
    await store.dataSource.query(`CREATE TABLE also_write_probe (stream_id text PRIMARY KEY)`);
    await store.dataSource.transaction((m) =>
      appendToStream(m, 'also-2', 'no-stream', [ev('Requested', { n: 0 })]),
    );
    const seen: string[][] = [];
    const { created } = await store.dataSource.transaction((m) =>
      appendToNewStreams(
        m,
        ['also-1', 'also-2', 'also-3'].map((streamId) => ({
          streamId,
          events: [ev('Requested', { streamId })],
          outbox: [{ topic: 'lethe.governance-events.v1', key: streamId, value: {} }],
        })),
        (fresh) => {
          seen.push([...fresh].sort());
          // Its rows join the streams this transaction created: they exist when it runs.
          return m.query(
            `INSERT INTO also_write_probe (stream_id)
             SELECT s.stream_id FROM streams s JOIN events e ON e.stream_id = s.stream_id
              WHERE s.stream_id = ANY($1::text[])`,
            [[...fresh]],
          );
        },
      ),
    );
    expect([...created].sort()).toEqual(['also-1', 'also-3']);
    expect(seen).toEqual([['also-1', 'also-3']]);
    const probe = await store.dataSource.query<{ stream_id: string }[]>(
      `SELECT stream_id FROM also_write_probe ORDER BY stream_id`,
    );
    expect(probe.map((r) => r.stream_id)).toEqual(['also-1', 'also-3']);
    const outbox = await store.dataSource.query<{ key: string }[]>(
      `SELECT key FROM outbox WHERE key LIKE 'also-%' ORDER BY id`,
    );
    expect(outbox.map((o) => o.key)).toEqual(['also-1', 'also-3']);
  });

  it('a failing pipelined statement fails the call and nothing of the transaction stays', async () => {
    const attempt = store.dataSource.transaction((m) =>
      appendToNewStreams(
        m,
        [{ streamId: 'fails-1', events: [ev('Requested', {})], outbox: [] }],
        () => m.query(`INSERT INTO no_such_table_here VALUES (1)`),
      ),
    );
    await expect(attempt).rejects.toThrow(/no_such_table_here/);
    const left = await store.dataSource.query<{ n: string }[]>(
      `SELECT count(*)::text AS n FROM streams WHERE stream_id = 'fails-1'`,
    );
    expect(left[0]?.n).toBe('0');
    // An event id already stored fails the events statement: the store's duplicate error, and
    // the caller's pipelined write after it does not hide that cause.
    const e1 = ev('Requested', {});
    await store.dataSource.transaction((m) =>
      appendToNewStreams(m, [{ streamId: 'dup-a', events: [e1] }]),
    );
    const dup = store.dataSource.transaction((m) =>
      appendToNewStreams(m, [{ streamId: 'dup-b', events: [e1] }], () => m.query('SELECT 1')),
    );
    await expect(dup).rejects.toBeInstanceOf(EventStoreDuplicateEventError);
  });

  it('a later appendToStream continues a stream created in bulk', async () => {
    await store.dataSource.transaction((m) =>
      appendToNewStreams(m, [{ streamId: 'bulk-then-one', events: [ev('Requested', {})] }]),
    );
    const r = await store.dataSource.transaction((m) =>
      appendToStream(m, 'bulk-then-one', 1, [ev('Validated', {})]),
    );
    expect(r.nextExpectedVersion).toBe(2);
  });

  it('is fast: 1000 new streams × 2 events + 1000 outbox rows in one transaction', async () => {
    const streams = Array.from({ length: 1000 }, (_, i) => ({
      streamId: `perf-${i}`,
      events: [ev('Requested', { i }), ev('Validated', { i })],
      outbox: [{ topic: 'lethe.governance-events.v1', key: `perf-${i}`, value: { i } }],
    }));
    const started = performance.now();
    const { created } = await store.dataSource.transaction((m) => appendToNewStreams(m, streams));
    const ms = performance.now() - started;
    expect(created.size).toBe(1000);

    console.log(
      `appendToNewStreams: 1000 streams / 2000 events / 1000 outbox rows in ${ms.toFixed(0)} ms`,
    );
  });
});
