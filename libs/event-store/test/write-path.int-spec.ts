import type { Decider } from '@lethe/shared';
import {
  appendToStream,
  EventStoreTransaction,
  readStream,
  runEventStoreTransaction,
  type Event,
  type NewEvent,
  type OutboxMessage,
} from '../src';
import { ev, openTestStore, type TestStore } from './helpers';

type Moved = Event<'Moved', { by: number; seen: number }>;
type Move = { by: number };
/** A counter whose events record the version their decision saw. */
const counter: Decider<Move, Moved, number> = {
  initialState: () => 0,
  evolve: (s) => s + 1,
  decide: (c, s) => [{ type: 'Moved', data: { by: c.by, seen: s } }],
};
const metadata = { correlationId: 'corr-w', causationId: null, actor: 'system:test' };
const outboxOf = (e: NewEvent, target: { streamId: string }, version: number): OutboxMessage => ({
  topic: 'wp-events',
  key: target.streamId,
  value: { id: e.metadata.messageId, version },
});

/** The write-path kernel: EventStoreTransaction + runEventStoreTransaction on real PostgreSQL. */
describe('write path: EventStoreTransaction / runEventStoreTransaction', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  const outboxRows = async (key: string) =>
    store.dataSource.query<{ value: { version: number } }[]>(
      `SELECT convert_from(value, 'UTF8')::json AS value FROM outbox
        WHERE topic = 'wp-events' AND key = $1 ORDER BY id`,
      [key],
    );

  it('decides on two streams in one transaction: events, their outbox rows and enqueued rows commit together', async () => {
    const result = await runEventStoreTransaction(
      store.dataSource,
      { metadata, outboxOf },
      async (tx) => {
        await tx.decide({ streamId: 'wp-a' }, counter, { by: 1 });
        await tx.decide({ streamId: 'wp-a' }, counter, { by: 2 }); // reuses what it wrote
        const b = await tx.decide({ streamId: 'wp-b' }, counter, { by: 3 });
        tx.enqueue([{ topic: 'wp-extra', key: 'x', value: 'after the appends' }]);
        return { b: b.version, appended: tx.appended.length };
      },
    );
    expect(result).toEqual({ b: 1, appended: 3 });
    const a = await readStream<Moved>(store.dataSource, 'wp-a');
    expect(a.events.map((e) => e.data)).toEqual([
      { by: 1, seen: 0 },
      { by: 2, seen: 1 },
    ]);
    expect((await outboxRows('wp-a')).map((r) => r.value.version)).toEqual([1, 2]);
    expect((await outboxRows('wp-b')).map((r) => r.value.version)).toEqual([1]);
    const txids = new Set(
      [...a.events, ...(await readStream(store.dataSource, 'wp-b')).events].map(
        (e) => e.transactionId,
      ),
    );
    expect(txids.size).toBe(1);
  });

  it('a domain refusal in the work rolls every stream back', async () => {
    await expect(
      runEventStoreTransaction(store.dataSource, { metadata, outboxOf }, async (tx) => {
        await tx.decide({ streamId: 'wp-r1' }, counter, { by: 1 });
        throw new Error('refused after the first append');
      }),
    ).rejects.toThrow('refused');
    expect((await readStream(store.dataSource, 'wp-r1')).streamExists).toBe(false);
    expect(await outboxRows('wp-r1')).toEqual([]);
  });

  it('a conflict on one stream retries the whole work from fresh reads', async () => {
    await appendToStream(store.dataSource, 'wp-c', 'no-stream', [ev('Moved', { by: 0, seen: 0 })]);
    let attempts = 0;
    const delays: number[] = [];
    await runEventStoreTransaction(
      store.dataSource,
      { metadata, outboxOf, retry: { maxAttempts: 3 }, sleep: async (ms) => void delays.push(ms) },
      async (tx) => {
        attempts += 1;
        await tx.state({ streamId: 'wp-c' }, counter); // read version 1
        await tx.decide({ streamId: 'wp-d' }, counter, { by: 1 });
        // A competitor appends to wp-c between this attempt's read and its append, once.
        if (attempts === 1) {
          await appendToStream(store.dataSource, 'wp-c', 1, [ev('Moved', { by: 9, seen: 1 })]);
        }
        await tx.decide({ streamId: 'wp-c' }, counter, { by: 5 });
      },
    );
    expect(attempts).toBe(2);
    expect(delays).toHaveLength(1);
    const c = await readStream<Moved>(store.dataSource, 'wp-c');
    expect(c.events.map((e) => e.data.seen)).toEqual([0, 1, 2]); // decided on the fresh read
    // wp-d: only the second attempt's event (the first rolled back with the conflict).
    expect((await readStream(store.dataSource, 'wp-d')).currentVersion).toBe(1);
    expect(await outboxRows('wp-d')).toHaveLength(1);
  });

  it('bulk mode queues decisions and appends every stream at flush, with their outbox rows', async () => {
    await store.dataSource.transaction((manager) =>
      EventStoreTransaction.run(manager, { metadata, outboxOf, bulk: true }, async (tx) => {
        for (const id of ['wp-k1', 'wp-k2', 'wp-k1'])
          await tx.decide({ streamId: id }, counter, { by: 1 });
        expect((await readStream(manager, 'wp-k1')).streamExists).toBe(false); // not yet
        await tx.flush();
        expect((await readStream(manager, 'wp-k1')).currentVersion).toBe(2);
      }),
    );
    expect((await outboxRows('wp-k1')).map((r) => r.value.version)).toEqual([1, 2]);
    expect((await outboxRows('wp-k2')).map((r) => r.value.version)).toEqual([1]);
  });
});
