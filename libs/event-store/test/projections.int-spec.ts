import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from 'typeorm';
import {
  appendToStream,
  ProjectionRunner,
  type Event,
  type Projection,
  type RecordedEvent,
} from '../src';
import { eventually, ev, openTestStore, sleep, type TestStore } from './helpers';

type Moved = Event<'Deposited' | 'Withdrawn', { amount: number }>;

/** Read model: balance and number of events seen, per stream. */
function balances(
  name = 'balances',
  table = 'test_balances',
): Projection<Moved> & { failNext: number } {
  return {
    name,
    failNext: 0,
    eventTypes: ['Deposited', 'Withdrawn'],
    async handle(events: readonly RecordedEvent<Moved>[], manager: EntityManager) {
      for (const e of events) {
        const delta = e.type === 'Deposited' ? e.data.amount : -e.data.amount;
        await manager.query(
          `INSERT INTO ${table} (stream_id, balance, seen, last_version) VALUES ($1, $2, 1, $3)
           ON CONFLICT (stream_id) DO UPDATE
             SET balance = ${table}.balance + EXCLUDED.balance, seen = ${table}.seen + 1,
                 last_version = EXCLUDED.last_version`,
          [e.streamId, delta, e.streamVersion],
        );
      }
      if (this.failNext > 0) {
        this.failNext -= 1;
        throw new Error('projection crashed after writing (must roll back)');
      }
    },
    async reset(manager: EntityManager) {
      await manager.query(`TRUNCATE ${table}`);
    },
  };
}

async function readModel(store: TestStore, table = 'test_balances') {
  return await store.dataSource.query<
    { stream_id: string; balance: number; seen: number; last_version: number }[]
  >(`SELECT stream_id, balance, seen, last_version FROM ${table} ORDER BY stream_id`);
}

/** What the read model must contain, computed straight from the events table. */
async function expectedModel(store: TestStore) {
  return await store.dataSource.query<unknown[]>(
    `SELECT stream_id,
            sum(CASE type WHEN 'Deposited' THEN (data->>'amount')::int ELSE -(data->>'amount')::int END)::int AS balance,
            count(*)::int AS seen, max(stream_version) AS last_version
       FROM events WHERE type IN ('Deposited', 'Withdrawn')
      GROUP BY stream_id ORDER BY stream_id`,
  );
}

async function writeLoad(store: TestStore, writers: number, perWriter: number): Promise<void> {
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        await store.dataSource.transaction((m) =>
          appendToStream(m, `acct-${(w * 7 + i) % 9}`, 'any', [
            ev(i % 4 === 3 ? 'Withdrawn' : 'Deposited', { amount: 1 + ((w + i) % 13) }),
            ev('Noted', { text: 'ignored by the projection' }),
          ]),
        );
      }
    }),
  );
}

describe('ProjectionRunner (PostgreSQL)', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
    for (const t of ['test_balances', 'test_balances_2']) {
      await store.dataSource.query(
        `CREATE TABLE ${t} (stream_id text PRIMARY KEY, balance int NOT NULL, seen int NOT NULL, last_version int NOT NULL)`,
      );
    }
  });
  afterAll(async () => {
    await store.close();
  });

  it('follows live writes, and a rebuild reproduces exactly the live result', async () => {
    const projection = balances();
    const runner = new ProjectionRunner(store.dataSource, [projection], {
      batchSize: 25,
      idleDelayMs: 10,
    });
    await runner.start();
    try {
      await writeLoad(store, 6, 30);
      await runner.catchUp('balances');
    } finally {
      await runner.stop();
    }
    const live = await readModel(store);
    expect(live).toEqual(await expectedModel(store));
    expect(live.length).toBe(9);

    await runner.rebuild('balances');
    expect(await readModel(store)).toEqual(live);
  });

  it('rolls back a failed batch with its checkpoint: the effect happens exactly once', async () => {
    const projection = balances('balances-2', 'test_balances_2');
    projection.failNext = 3;
    const runner = new ProjectionRunner(store.dataSource, [projection], {
      batchSize: 10,
      idleDelayMs: 10,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    await runner.start();
    try {
      await runner.catchUp('balances-2'); // retries the failed batches with backoff
      expect(projection.failNext).toBe(0);
    } finally {
      await runner.stop();
    }
    expect(await readModel(store, 'test_balances_2')).toEqual(await expectedModel(store));
  });

  it('two runners on the same projection never process a batch twice (one holds the lock)', async () => {
    await store.dataSource.query('TRUNCATE test_balances_2');
    await store.dataSource.query(`DELETE FROM projection_checkpoints WHERE name = 'balances-2'`);
    const one = new ProjectionRunner(
      store.dataSource,
      [balances('balances-2', 'test_balances_2')],
      {
        batchSize: 7,
        idleDelayMs: 5,
      },
    );
    const two = new ProjectionRunner(
      store.dataSource,
      [balances('balances-2', 'test_balances_2')],
      {
        batchSize: 7,
        idleDelayMs: 5,
      },
    );
    await Promise.all([one.start(), two.start()]);
    try {
      await writeLoad(store, 3, 10);
      await one.catchUp('balances-2');
      await sleep(50);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
    expect(await readModel(store, 'test_balances_2')).toEqual(await expectedModel(store));
  });

  it('runs each background batch and its log lines inside runInContext, one correlation id per batch', async () => {
    const context = new AsyncLocalStorage<string>();
    const seen: { where: string; id: string | undefined }[] = [];
    let fail = 1;
    const projection: Projection = {
      name: 'ctx-probe',
      eventTypes: ['CtxProbe'],
      async handle() {
        seen.push({ where: 'handle', id: context.getStore() });
        if (fail-- > 0) throw new Error('first batch fails');
      },
    };
    const runner = new ProjectionRunner(store.dataSource, [projection], {
      idleDelayMs: 10,
      retry: { baseDelayMs: 10, maxDelayMs: 20 },
      runInContext: (id, work) => context.run(id, work),
      logger: {
        info: () => undefined,
        warn: () => undefined,
        error: () => seen.push({ where: 'error', id: context.getStore() }),
      },
    });
    await store.dataSource.transaction((m) =>
      appendToStream(m, 'ctx-1', 'any', [ev('CtxProbe', {})]),
    );
    await runner.start();
    try {
      await eventually(() => {
        expect(seen.filter((s) => s.where === 'handle')).toHaveLength(2);
      });
    } finally {
      await runner.stop();
    }
    const [failed, logged, retried] = seen;
    expect(failed?.id).toMatch(/^ctx-probe:[0-9a-f-]{36}$/);
    expect(logged).toEqual({ where: 'error', id: failed?.id }); // the error line of that batch
    expect(retried?.id).toMatch(/^ctx-probe:/);
    expect(retried?.id).not.toBe(failed?.id); // a new batch, a new id
  });

  it('stores the checkpoint and exposes it; unknown names and missing reset hooks are coded errors', async () => {
    const runner = new ProjectionRunner(store.dataSource, [
      balances(),
      { name: 'no-reset', handle: async () => undefined },
    ]);
    const cp = await runner.checkpoint('balances');
    expect(cp.transactionId).toBeGreaterThan(0n);
    await expect(runner.checkpoint('nope')).rejects.toMatchObject({ code: 'PROJECTION_UNKNOWN' });
    await expect(runner.rebuild('no-reset')).rejects.toMatchObject({
      code: 'PROJECTION_NOT_RESETTABLE',
    });
  });
});
