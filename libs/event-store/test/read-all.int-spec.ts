import {
  appendToStream,
  compareCheckpoints,
  readAll,
  START,
  type Checkpoint,
  type Event,
  type RecordedEvent,
} from '../src';
import { ev, openTestStore, openTransaction, sleep, type TestStore } from './helpers';

type Tick = Event<'Tick', { label: string }>;

describe('readAll: global order that never skips out-of-order commits', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('a subscriber polling while an earlier position is uncommitted waits for it instead of skipping it', async () => {
    const received: RecordedEvent<Tick>[] = [];
    let checkpoint: Checkpoint = START;
    const poll = async (): Promise<void> => {
      const batch = await readAll<Tick>(store.dataSource, checkpoint);
      received.push(...batch.events);
      checkpoint = batch.checkpoint;
    };

    const early = await openTransaction(store.dataSource);
    const late = await openTransaction(store.dataSource);
    try {
      await appendToStream(early.manager, 'stream-early', 'no-stream', [
        ev('Tick', { label: 'early' }),
      ]);
      await appendToStream(late.manager, 'stream-late', 'no-stream', [
        ev('Tick', { label: 'late' }),
      ]);
      const [pEarly, pLate] = await store.dataSource.query<{ p: string }[]>(
        `SELECT global_position::text AS p FROM events ORDER BY global_position`,
      );
      // Nothing is committed yet: the events table still looks empty from outside.
      expect(pEarly).toBeUndefined();
      expect(pLate).toBeUndefined();

      await late.commit(); // the later-allocated position commits first
      // The naive subscriber (global_position > last seen) would take 'late' now and later skip 'early'.
      const naive = await store.dataSource.query<{ label: string }[]>(
        `SELECT data->>'label' AS label FROM events WHERE global_position > 0 ORDER BY global_position`,
      );
      expect(naive.map((r) => r.label)).toEqual(['late']);

      await poll();
      expect(received).toEqual([]); // 'late' is held back while 'early' is in flight

      await early.commit();
    } finally {
      await early.rollback().catch(() => undefined);
      await late.rollback().catch(() => undefined);
    }
    await poll();
    await poll();
    expect(received.map((e) => e.data.label)).toEqual(['early', 'late']);
    expect(received[0]!.globalPosition).toBeLessThan(received[1]!.globalPosition);
  });

  it('orders by transaction id even when the older transaction allocated the larger position', async () => {
    const before = (await readAll(store.dataSource, START, { limit: 10_000 })).checkpoint;
    const older = await openTransaction(store.dataSource);
    await older.manager.query(
      `INSERT INTO idempotency_keys (key, stream_id) VALUES ('take-xid', 'x')`,
    ); // xid first
    const younger = await openTransaction(store.dataSource);
    await appendToStream(younger.manager, 'y-1', 'no-stream', [ev('Tick', { label: 'younger' })]); // smaller position
    await appendToStream(older.manager, 'o-1', 'no-stream', [ev('Tick', { label: 'older' })]); // larger position
    await younger.commit();
    expect((await readAll(store.dataSource, before)).events).toEqual([]);
    await older.commit();
    const { events } = await readAll<Tick>(store.dataSource, before);
    expect(events.map((e) => e.data.label)).toEqual(['older', 'younger']);
    expect(events[0]!.globalPosition).toBeGreaterThan(events[1]!.globalPosition);
  });

  it('pages with limit and filters by type while the checkpoint moves past everything read', async () => {
    const start = (await readAll(store.dataSource, START, { limit: 10_000 })).checkpoint;
    await store.dataSource.transaction((m) =>
      appendToStream(m, 'page-1', 'no-stream', [
        ...Array.from({ length: 5 }, (_, i) => ev('Tick', { label: `t${i}` })),
        ev('Other', { label: 'o' }),
      ]),
    );
    const first = await readAll<Tick>(store.dataSource, start, { limit: 4 });
    expect(first.events.map((e) => e.data.label)).toEqual(['t0', 't1', 't2', 't3']);
    expect(first.isCaughtUp).toBe(false);
    const second = await readAll<Tick>(store.dataSource, first.checkpoint, { limit: 4 });
    expect(second.events.map((e) => e.data.label)).toEqual(['t4', 'o']);
    expect(second.isCaughtUp).toBe(true);

    const typed = await readAll<Tick>(store.dataSource, start, { types: ['Other'] });
    expect(typed.events.map((e) => e.type)).toEqual(['Other']);
    const after = await readAll(store.dataSource, typed.checkpoint, { types: ['Other'] });
    expect(after.events).toEqual([]);
    expect(compareCheckpoints(typed.checkpoint, second.checkpoint)).toBeGreaterThanOrEqual(0);
  });

  it('pages in numeric order across 1-, 2- and 3-digit positions', async () => {
    const start = (await readAll(store.dataSource, START, { limit: 10_000 })).checkpoint;
    for (const [streamId, n] of [
      ['digits-a', 3],
      ['digits-b', 120],
      ['digits-c', 4],
    ] as const) {
      await store.dataSource.transaction((m) =>
        appendToStream(
          m,
          streamId,
          'no-stream',
          Array.from({ length: n }, (_, i) => ev('Tick', { label: `${i}` })),
        ),
      );
    }
    const got: RecordedEvent[] = [];
    let checkpoint = start;
    for (let caughtUp = false; !caughtUp;) {
      const batch = await readAll(store.dataSource, checkpoint, { limit: 7 });
      got.push(...batch.events);
      checkpoint = batch.checkpoint;
      caughtUp = batch.isCaughtUp;
    }
    expect(got).toHaveLength(127);
    for (let i = 1; i < got.length; i++) {
      expect(
        compareCheckpoints(
          { transactionId: got[i - 1]!.transactionId, position: got[i - 1]!.globalPosition },
          { transactionId: got[i]!.transactionId, position: got[i]!.globalPosition },
        ),
      ).toBe(-1);
    }
    expect(got.map((e) => e.streamId)).toEqual([
      ...Array(3).fill('digits-a'),
      ...Array(120).fill('digits-b'),
      ...Array(4).fill('digits-c'),
    ]);
  });

  it('under concurrent writers, a polling subscriber gets every event exactly once, each stream in version order', async () => {
    const start = (await readAll(store.dataSource, START, { limit: 10_000 })).checkpoint;
    const writers = 8;
    const perWriter = 40;
    let writing = true;
    const received: RecordedEvent[] = [];
    const subscriber = (async () => {
      let checkpoint = start;
      for (;;) {
        const done = !writing;
        const batch = await readAll(store.dataSource, checkpoint, { limit: 37 });
        received.push(...batch.events);
        checkpoint = batch.checkpoint;
        if (done && batch.isCaughtUp) return;
        if (batch.isCaughtUp) await sleep(1);
      }
    })();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          const streamId = `mixed-${(w + i) % 5}`;
          await store.dataSource.transaction(async (m) => {
            // jitter the time between allocating positions and committing
            await appendToStream(m, streamId, 'any', [ev('Tick', { label: `${w}:${i}` })]);
            if (i % 3 === 0) await sleep(2);
          });
        }
      }),
    );
    writing = false;
    await subscriber;

    const ids = received.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(writers * perWriter);
    const lastVersion = new Map<string, number>();
    for (const e of received) {
      expect(e.streamVersion).toBe((lastVersion.get(e.streamId) ?? 0) + 1);
      lastVersion.set(e.streamId, e.streamVersion);
    }
  });
});
