import {
  appendToStream,
  handleCommand,
  ProjectionRunner,
  readAll,
  START,
  type Decider,
  type Event,
} from '../src';
import { ev, openTestStore, type TestStore } from './helpers';

jest.setTimeout(120_000);

const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000))}/s`;

type Added = Event<'Added', { n: number }>;
const counter: Decider<number, { n: number }, Added> = {
  initialState: () => 0,
  evolve: (s, e) => s + e.data.n,
  decide: (c) => [{ type: 'Added', data: { n: c.n } }],
};

describe('event store throughput (rough figures on this machine; floors are far below them)', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(16);
  });
  afterAll(async () => {
    await store.close();
  });

  it('batched appends: 20 transactions × 500 events', async () => {
    const started = performance.now();
    for (let t = 0; t < 20; t++) {
      await store.dataSource.transaction((m) =>
        appendToStream(
          m,
          `batch-${t}`,
          'no-stream',
          Array.from({ length: 500 }, (_, i) => ev('Added', { n: i })),
          Array.from({ length: 500 }, (_, i) => ({ topic: 't', key: `batch-${t}`, value: { i } })),
        ),
      );
    }
    const ms = performance.now() - started;
    console.log(
      `appendToStream, 500 events + 500 outbox rows per transaction: ${rate(10_000, ms)} events`,
    );
    expect(10_000 / (ms / 1000)).toBeGreaterThan(2_000);
  });

  it('handleCommand: one event per transaction, 16 concurrent streams', async () => {
    const perStream = 60;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async (_, s) => {
        for (let i = 0; i < perStream; i++) {
          await handleCommand(
            store.dataSource,
            `cmd-${s}`,
            counter,
            { n: 1 },
            {
              metadata: { correlationId: 'c', causationId: null, actor: 'system:bench' },
            },
          );
        }
      }),
    );
    const ms = performance.now() - started;
    console.log(
      `handleCommand (read + decide + append + commit), 16 writers: ${rate(16 * perStream, ms)} commands`,
    );
    expect((16 * perStream) / (ms / 1000)).toBeGreaterThan(100);
  });

  it('readAll and a projection catch-up over the whole log', async () => {
    let n = 0;
    let checkpoint = START;
    const started = performance.now();
    for (;;) {
      const batch = await readAll(store.dataSource, checkpoint, { limit: 1000 });
      n += batch.events.length;
      checkpoint = batch.checkpoint;
      if (batch.isCaughtUp) break;
    }
    const ms = performance.now() - started;
    console.log(`readAll, pages of 1000: ${n} events at ${rate(n, ms)}`);

    await store.dataSource.query(
      'CREATE TABLE bench_counts (stream_id text PRIMARY KEY, n int NOT NULL)',
    );
    const runner = new ProjectionRunner(
      store.dataSource,
      [
        {
          name: 'bench',
          handle: async (events, manager) => {
            const counts = new Map<string, number>();
            for (const e of events) counts.set(e.streamId, (counts.get(e.streamId) ?? 0) + 1);
            await manager.query(
              `INSERT INTO bench_counts (stream_id, n) SELECT * FROM unnest($1::text[], $2::int[])
               ON CONFLICT (stream_id) DO UPDATE SET n = bench_counts.n + EXCLUDED.n`,
              [[...counts.keys()], [...counts.values()]],
            );
          },
        },
      ],
      { batchSize: 1000 },
    );
    const t0 = performance.now();
    await runner.catchUp('bench');
    const pms = performance.now() - t0;
    console.log(`projection catch-up (batched upsert), batches of 1000: ${rate(n, pms)} events`);
    const [row] = await store.dataSource.query<
      {
        n: number;
      }[]
    >('SELECT sum(n)::int AS n FROM bench_counts');
    expect(row?.n).toBe(n);
  });
});
