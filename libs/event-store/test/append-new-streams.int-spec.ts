import { appendToNewStreams, appendToStream, readAll, readStream, START } from '../src';
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
