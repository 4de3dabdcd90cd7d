import {
  aggregateStream,
  appendToStream,
  EventStoreConcurrencyError,
  readStream,
  UpcasterRegistry,
  type Event,
} from '../src';
import { RECORDED_US_SQL } from '../src/postgres/read-stream';
import { ev, openTestStore, type TestStore } from './helpers';

type Deposited = Event<'Deposited', { amount: number }>;

describe('event store: append and read (PostgreSQL)', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('appends to a new stream and reads the events back in order with their metadata', async () => {
    const events = [1, 2, 3].map((amount) => ev('Deposited', { amount }, { correlationId: 'c-1' }));
    const result = await store.dataSource.transaction((m) =>
      appendToStream(m, 'account-1', 'no-stream', events),
    );
    expect(result.nextExpectedVersion).toBe(3);
    expect(result.lastGlobalPosition).toBeGreaterThan(0n);
    expect(result.transactionId).toBeGreaterThan(0n);

    const read = await readStream<Deposited>(store.dataSource, 'account-1');
    expect(read.streamExists).toBe(true);
    expect(read.currentVersion).toBe(3);
    expect(read.events.map((e) => [e.streamVersion, e.type, e.data.amount])).toEqual([
      [1, 'Deposited', 1],
      [2, 'Deposited', 2],
      [3, 'Deposited', 3],
    ]);
    expect(read.events.map((e) => e.eventId)).toEqual(events.map((e) => e.metadata.messageId));
    expect(read.events[0]?.metadata).toEqual(events[0]?.metadata);
    expect(read.events.every((e) => e.transactionId === result.transactionId)).toBe(true);
    const positions = read.events.map((e) => e.globalPosition);
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    expect(positions[2]).toBe(result.lastGlobalPosition);
  });

  it('continues a stream at the expected version and reads ranges', async () => {
    await store.dataSource.transaction((m) =>
      appendToStream(m, 'account-2', 0, [ev('Deposited', { amount: 10 })]),
    );
    const r = await store.dataSource.transaction((m) =>
      appendToStream(m, 'account-2', 1, [
        ev('Deposited', { amount: 20 }),
        ev('Deposited', { amount: 30 }),
      ]),
    );
    expect(r.nextExpectedVersion).toBe(3);
    const middle = await readStream<Deposited>(store.dataSource, 'account-2', {
      fromVersion: 2,
      toVersion: 2,
    });
    expect(middle.currentVersion).toBe(3);
    expect(middle.events.map((e) => e.data.amount)).toEqual([20]);
  });

  it('reads a missing stream as empty, version 0', async () => {
    const read = await readStream(store.dataSource, 'nope');
    expect(read).toEqual({ streamExists: false, currentVersion: 0, events: [] });
  });

  it('refuses a wrong expected version with CONCURRENCY_CONFLICT and writes nothing', async () => {
    await store.dataSource.transaction((m) =>
      appendToStream(m, 'account-3', 'no-stream', [
        ev('Deposited', { amount: 1 }),
        ev('Deposited', { amount: 2 }),
      ]),
    );
    const attempt = store.dataSource.transaction((m) =>
      appendToStream(
        m,
        'account-3',
        1,
        [ev('Deposited', { amount: 99 })],
        [{ topic: 't', key: 'k', value: { lost: true } }],
      ),
    );
    await expect(attempt).rejects.toBeInstanceOf(EventStoreConcurrencyError);
    await expect(attempt).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      kind: 'conflict',
      streamId: 'account-3',
      expected: 1,
      actual: 2,
      reason: 'version',
      details: { streamId: 'account-3', expected: 1, actual: 2 },
    });
    const read = await readStream<Deposited>(store.dataSource, 'account-3');
    expect(read.events.map((e) => e.data.amount)).toEqual([1, 2]);
    const outbox = await store.dataSource.query<
      {
        n: number;
      }[]
    >(`SELECT count(*)::int AS n FROM outbox WHERE topic = 't'`);
    expect(outbox[0]?.n).toBe(0);
  });

  it("'no-stream' fails on an existing stream, a number fails on a missing one, 'any' always appends", async () => {
    await store.dataSource.transaction((m) =>
      appendToStream(m, 'account-4', 'any', [ev('Deposited', { amount: 1 })]),
    );
    await expect(
      store.dataSource.transaction((m) =>
        appendToStream(m, 'account-4', 'no-stream', [ev('Deposited', { amount: 2 })]),
      ),
    ).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', actual: 1 });
    await expect(
      store.dataSource.transaction((m) =>
        appendToStream(m, 'account-5', 3, [ev('Deposited', { amount: 2 })]),
      ),
    ).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', expected: 3, actual: 0 });
    const r = await store.dataSource.transaction((m) =>
      appendToStream(m, 'account-4', 'any', [ev('Deposited', { amount: 3 })]),
    );
    expect(r.nextExpectedVersion).toBe(2);
  });

  it('checks the version without writing when there are no events', async () => {
    const ok = await store.dataSource.transaction((m) => appendToStream(m, 'account-4', 2, []));
    expect(ok.nextExpectedVersion).toBe(2);
    await expect(
      store.dataSource.transaction((m) => appendToStream(m, 'account-4', 1, [])),
    ).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
    });
  });

  it('refuses a duplicate event id with DUPLICATE_EVENT', async () => {
    const e = ev('Deposited', { amount: 1 });
    await store.dataSource.transaction((m) => appendToStream(m, 'dup-1', 'no-stream', [e]));
    await expect(
      store.dataSource.transaction((m) => appendToStream(m, 'dup-2', 'no-stream', [e])),
    ).rejects.toMatchObject({ code: 'DUPLICATE_EVENT', kind: 'conflict' });
    expect((await readStream(store.dataSource, 'dup-2')).streamExists).toBe(false);
  });

  it('must run inside a transaction', async () => {
    await expect(
      appendToStream(store.dataSource.manager, 'x', 'any', [ev('Deposited', { amount: 1 })]),
    ).rejects.toMatchObject({ code: 'EVENT_STORE_TRANSACTION_REQUIRED' });
  });

  it('keeps events append-only: UPDATE and DELETE are refused by the database', async () => {
    await expect(store.dataSource.query(`UPDATE events SET data = '{}'::jsonb`)).rejects.toThrow(
      /append-only/,
    );
    await expect(store.dataSource.query('DELETE FROM events')).rejects.toThrow(/append-only/);
  });

  it('upcasts on read and aggregates', async () => {
    await store.dataSource.transaction((m) =>
      appendToStream(m, 'legacy-1', 'no-stream', [
        ev('Credited', { cents: 1250 }, { schemaVersion: 1 }),
        ev('Deposited', { amount: 5 }, { schemaVersion: 2 }),
      ]),
    );
    const upcasters = new UpcasterRegistry([
      {
        type: 'Credited',
        fromVersion: 1,
        upcast: (data) => ({
          type: 'Deposited',
          data: { amount: (data as { cents: number }).cents / 100 },
        }),
      },
    ]);
    const { events } = await readStream<Deposited>(store.dataSource, 'legacy-1', { upcasters });
    expect(events.map((e) => [e.type, e.data.amount, e.schemaVersion])).toEqual([
      ['Deposited', 12.5, 2],
      ['Deposited', 5, 2],
    ]);
    const agg = await aggregateStream<number, Deposited>(
      store.dataSource,
      'legacy-1',
      (sum, e) => sum + e.data.amount,
      () => 0,
      { upcasters },
    );
    expect(agg).toEqual({ state: 17.5, currentVersion: 2, streamExists: true });
    // stored rows are untouched
    const raw = await store.dataSource.query<{ type: string; schema_version: number }[]>(
      `SELECT type, schema_version FROM events WHERE stream_id = 'legacy-1' ORDER BY stream_version`,
    );
    expect(raw[0]).toEqual({ type: 'Credited', schema_version: 1 });
  });

  it('reads each event with its stream id, own transaction id, recorded_at to the ms and null data', async () => {
    const first = await store.dataSource.transaction((m) =>
      appendToStream(m, 'fields-1', 'no-stream', [ev('Deposited', { amount: 1 })]),
    );
    const second = await store.dataSource.transaction((m) =>
      appendToStream(m, 'fields-1', 1, [ev('Deposited', { amount: 2 }), ev('Noted', null)]),
    );
    const read = await readStream(store.dataSource, 'fields-1');
    expect(read.events.map((e) => [e.streamId, e.transactionId, e.data])).toEqual([
      ['fields-1', first.transactionId, { amount: 1 }],
      ['fields-1', second.transactionId, { amount: 2 }],
      ['fields-1', second.transactionId, null],
    ]);
    // The same instants as pg's own timestamptz parse (both keep whole milliseconds).
    const stored = await store.dataSource.query<{ recorded_at: Date }[]>(
      'SELECT recorded_at FROM events WHERE stream_id = $1 ORDER BY stream_version',
      ['fields-1'],
    );
    expect(read.events.map((e) => e.recordedAt)).toEqual(stored.map((r) => r.recorded_at));
    expect(read.events.every((e) => e.recordedAt instanceof Date)).toBe(true);
  });

  it("readStream's recorded_us is the stored instant to the microsecond, at every µs of a second and across the years", async () => {
    // The statement reads date_part's float8 seconds × 10^6, rounded: compared here with the
    // exact numeric EXTRACT over a million consecutive microseconds and a few far dates.
    const expr = RECORDED_US_SQL;
    const rows = await store.dataSource.query<{ wrong: string }[]>(
      `SELECT count(*)::text AS wrong
         FROM (SELECT t AS recorded_at FROM generate_series(timestamptz '2026-11-29 12:00:00+00',
                 timestamptz '2026-11-29 12:00:01+00', interval '1 microsecond') t
               UNION ALL
               SELECT unnest(ARRAY['1970-01-01 00:00:00.000001+00', '1999-12-31 23:59:59.999999+00',
                 '2038-01-19 03:14:08.000000+00', '2099-12-31 23:59:59.999999+00',
                 '2100-01-01 00:00:00.000001+00']::timestamptz[])) r
        WHERE ${expr} <> (extract(epoch FROM recorded_at) * 1000000)::int8`,
    );
    expect(rows[0]?.wrong).toBe('0');
  });

  it('appends a large batch with one multi-row insert', async () => {
    const events = Array.from({ length: 2000 }, (_, i) => ev('Deposited', { amount: i }));
    const started = performance.now();
    const r = await store.dataSource.transaction((m) =>
      appendToStream(m, 'bulk-1', 'no-stream', events),
    );
    const ms = performance.now() - started;
    expect(r.nextExpectedVersion).toBe(2000);
    const read = await readStream<Deposited>(store.dataSource, 'bulk-1');
    expect(read.events.map((e) => e.data.amount)).toEqual(events.map((e) => e.data.amount));
    expect(read.events.map((e) => e.streamVersion)).toEqual(events.map((_, i) => i + 1));

    console.log(
      `append of 2000 events in one transaction: ${ms.toFixed(0)} ms (${Math.round(2000 / (ms / 1000))} events/s)`,
    );
  });
});
