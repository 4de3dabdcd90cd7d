import {
  appendToNewStreams,
  appendToStream,
  EventStoreDuplicateEventError,
  PREPARED_MAX_EVENTS,
  readAll,
  readStream,
  START,
  type NewStreamsSql,
} from '../src';
import {
  ev,
  openTestStore,
  openTransaction,
  sleep,
  waitForLockWait,
  type TestStore,
} from './helpers';
import type { EntityManager } from 'typeorm';

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

describe('appendToNewStreams with SQL-built rows: the whole append as one statement', () => {
  let store: TestStore;
  /** Outbox rows and a side table built in SQL from `new_events`, as intake's read model is. */
  const inSql: NewStreamsSql = {
    outbox: { topic: 'bulk-topic', key: 'e.s', value: 'e.data::text', headers: "'{}'::jsonb" },
    also: [
      `INSERT INTO bulk_side (stream_id, n, kind)
       SELECT e.s, e.n, e.jdata->>'kind' FROM new_events AS e`,
    ],
  };
  const sideRows = () =>
    store.dataSource.query<{ stream_id: string; n: number; kind: string }[]>(
      'SELECT stream_id, n, kind FROM bulk_side ORDER BY stream_id, n',
    );
  beforeAll(async () => {
    store = await openTestStore();
    await store.dataSource.query('CREATE TABLE bulk_side (stream_id text, n int, kind text)');
  });
  afterAll(async () => {
    await store.close();
  });

  it('creates the missing streams with their events, outbox and side rows; skips existing ones and repeats', async () => {
    await store.dataSource.transaction((m) =>
      appendToStream(m, 'one-2', 'no-stream', [ev('Requested', { kind: 'earlier' })]),
    );
    const streams = [1, 2, 3].map((n) => ({
      streamId: `one-${n}`,
      events: [ev('Requested', { kind: 'req', n }), ev('Validated', { kind: 'val', n })],
    }));
    const { created } = await store.dataSource.transaction((m) =>
      appendToNewStreams(
        m,
        [...streams, { ...streams[0]!, events: [ev('Requested', { kind: 'repeat', n: 99 })] }],
        inSql,
      ),
    );
    expect([...created].sort()).toEqual(['one-1', 'one-3']);
    const r1 = await readStream<{ type: string; data: { kind: string } }>(
      store.dataSource,
      'one-1',
    );
    expect(r1.currentVersion).toBe(2);
    expect(r1.events.map((e) => [e.streamVersion, e.type, e.data.kind])).toEqual([
      [1, 'Requested', 'req'],
      [2, 'Validated', 'val'],
    ]);
    const outbox = await store.dataSource.query<{ topic: string; key: string; value: Buffer }[]>(
      'SELECT topic, key, value FROM outbox ORDER BY id',
    );
    expect(outbox.map((o) => [o.topic, o.key, o.value.toString('utf8')])).toEqual([
      ['bulk-topic', 'one-1', '{"kind":"req","n":1}'],
      ['bulk-topic', 'one-1', '{"kind":"val","n":1}'],
      ['bulk-topic', 'one-3', '{"kind":"req","n":3}'],
      ['bulk-topic', 'one-3', '{"kind":"val","n":3}'],
    ]);
    expect(await sideRows()).toEqual([
      { stream_id: 'one-1', n: 1, kind: 'req' },
      { stream_id: 'one-1', n: 2, kind: 'val' },
      { stream_id: 'one-3', n: 1, kind: 'req' },
      { stream_id: 'one-3', n: 2, kind: 'val' },
    ]);
    const all = await readAll(store.dataSource, START);
    expect(all.events.map((e) => `${e.streamId}@${e.streamVersion}`)).toEqual([
      'one-2@1',
      'one-1@1',
      'one-1@2',
      'one-3@1',
      'one-3@2',
    ]);
  });

  it('waits for a concurrent creator of the same stream, then skips it (and writes nothing for it)', async () => {
    const other = await openTransaction(store.dataSource);
    await appendToNewStreams(
      other.manager,
      [{ streamId: 'one-race-1', events: [ev('Requested', { kind: 'other' })] }],
      inSql,
    );
    const mine = store.dataSource.transaction((m) =>
      appendToNewStreams(
        m,
        [
          { streamId: 'one-race-1', events: [ev('Requested', { kind: 'me' })] },
          { streamId: 'one-race-2', events: [ev('Requested', { kind: 'me' })] },
        ],
        inSql,
      ),
    );
    await waitForLockWait(store.dataSource, store.databaseName);
    await sleep(20);
    await other.commit();
    const { created } = await mine;
    expect([...created]).toEqual(['one-race-2']);
    const r = await readStream<{ type: string; data: { kind: string } }>(
      store.dataSource,
      'one-race-1',
    );
    expect(r.events.map((e) => e.data.kind)).toEqual(['other']);
    expect((await sideRows()).filter((x) => x.stream_id.startsWith('one-race'))).toEqual([
      { stream_id: 'one-race-1', n: 1, kind: 'other' },
      { stream_id: 'one-race-2', n: 1, kind: 'me' },
    ]);
  });

  it('refuses an event id that is already stored (duplicate-id guard), and nothing of the statement stays', async () => {
    const stored = ev('Requested', { kind: 'first' });
    await store.dataSource.transaction((m) =>
      appendToNewStreams(m, [{ streamId: 'one-dup-1', events: [stored] }], inSql),
    );
    const before = await sideRows();
    await expect(
      store.dataSource.transaction((m) =>
        appendToNewStreams(
          m,
          [
            { streamId: 'one-dup-0', events: [ev('Requested', { kind: 'fresh' })] },
            { streamId: 'one-dup-2', events: [{ ...stored, data: { kind: 'again' } }] },
          ],
          inSql,
        ),
      ),
    ).rejects.toBeInstanceOf(EventStoreDuplicateEventError);
    expect(await sideRows()).toEqual(before);
    const [streams] = await store.dataSource.query<{ n: number }[]>(
      "SELECT count(*)::int AS n FROM streams WHERE stream_id IN ('one-dup-0', 'one-dup-2')",
    );
    expect(streams?.n).toBe(0);
  });

  it('refuses outbox messages on a stream together with SQL-built outbox rows', async () => {
    await expect(
      store.dataSource.transaction((m) =>
        appendToNewStreams(
          m,
          [
            {
              streamId: 'one-both',
              events: [ev('Requested', {})],
              outbox: [{ topic: 't', key: null, value: {} }],
            },
          ],
          inSql,
        ),
      ),
    ).rejects.toThrow(/outbox messages and SQL-built outbox rows/);
  });
  it('without an outbox value, each outbox row names its event (position, same transaction) and holds no value', async () => {
    const byReference: NewStreamsSql = {
      outbox: {
        topic: 'ref-topic',
        key: 'e.s',
        buildable: "e.jmetadata ? 'messageId'",
        headers: "jsonb_build_object('n', e.n::text)",
      },
    };
    const { created } = await store.dataSource.transaction((m) =>
      appendToNewStreams(
        m,
        ['ref-2', 'ref-1'].map((streamId) => ({
          streamId,
          events: [ev('Requested', { kind: 'req' }), ev('Validated', { kind: 'val' })],
        })),
        byReference,
      ),
    );
    expect([...created]).toEqual(['ref-2', 'ref-1']);
    const rows = await store.dataSource.query<
      { key: string; value: Buffer | null; headers: object; same_tx: boolean; at: string }[]
    >(
      `SELECT o.key, o.value, o.headers, o.transaction_id = e.transaction_id AS same_tx,
              e.stream_id || '@' || e.stream_version AS at
         FROM outbox o JOIN events e ON e.global_position = o.event_position
        WHERE o.topic = 'ref-topic' ORDER BY o.id`,
    );
    // In event order, each naming its own event (the relay builds the value from it).
    expect(rows.map((r) => [r.key, r.value, r.headers, r.same_tx, r.at])).toEqual([
      ['ref-2', null, { n: '1' }, true, 'ref-2@1'],
      ['ref-2', null, { n: '2' }, true, 'ref-2@2'],
      ['ref-1', null, { n: '1' }, true, 'ref-1@1'],
      ['ref-1', null, { n: '2' }, true, 'ref-1@2'],
    ]);
    // A row names an event or holds a value (or is a tombstone), never both.
    await expect(
      store.dataSource.query(
        "INSERT INTO outbox (topic, key, value, event_position) VALUES ('t', 'k', '\\x01', 1)",
      ),
    ).rejects.toThrow(/outbox_value_or_event_ck/);
  });

  it('refuses the whole statement when a SQL-built outbox value is NULL (it would be a Kafka tombstone)', async () => {
    const missing: NewStreamsSql = {
      outbox: {
        topic: 'bulk-topic',
        key: 'e.s',
        value: `'{"c":' || (e.jmetadata->'noSuchField')::text || '}'`,
        headers: "'{}'::jsonb",
      },
    };
    await expect(
      store.dataSource.transaction((m) =>
        appendToNewStreams(
          m,
          [{ streamId: 'tomb-1', events: [ev('Requested', { kind: 'x' })] }],
          missing,
        ),
      ),
    ).rejects.toThrow(/outbox row\(s\) would have no value/);
    expect((await readStream(store.dataSource, 'tomb-1')).streamExists).toBe(false);
    expect(await store.dataSource.query("SELECT 1 FROM outbox WHERE key = 'tomb-1'")).toEqual([]);
  });

  it('refuses the whole statement when a row naming its event could not be built by the relay (`buildable` false)', async () => {
    const unbuildable: NewStreamsSql = {
      outbox: {
        topic: 'ref-topic',
        key: 'e.s',
        buildable: "e.jmetadata ? 'noSuchField'",
        headers: "'{}'::jsonb",
      },
    };
    await expect(
      store.dataSource.transaction((m) =>
        appendToNewStreams(
          m,
          [{ streamId: 'unbuilt-1', events: [ev('Requested', { kind: 'x' })] }],
          unbuildable,
        ),
      ),
    ).rejects.toThrow(/1 outbox row\(s\) would have no value/);
    expect((await readStream(store.dataSource, 'unbuilt-1')).streamExists).toBe(false);
    expect(await store.dataSource.query("SELECT 1 FROM outbox WHERE key = 'unbuilt-1'")).toEqual(
      [],
    );
    // And a reference outbox without the check is a programming error, refused before SQL.
    await expect(
      store.dataSource.transaction((m) =>
        appendToNewStreams(m, [{ streamId: 'unbuilt-2', events: [ev('Requested', {})] }], {
          outbox: { topic: 'ref-topic', key: 'e.s', headers: "'{}'::jsonb" },
        }),
      ),
    ).rejects.toThrow(/needs `buildable`/);
  });
});

describe('appendToNewStreams with SQL-built rows: the one statement is prepared once per connection', () => {
  let store: TestStore;
  const inSql: NewStreamsSql = {
    outbox: { topic: 'prep-topic', key: 'e.s', value: 'e.data::text', headers: "'{}'::jsonb" },
  };
  /** This session's prepared statements of the library: when each was prepared, how often planned. */
  const prepared = (m: EntityManager) =>
    m.query<{ name: string; statement: string; runs: number; prepared: string; pid: number }[]>(
      `SELECT name, statement, (generic_plans + custom_plans)::int AS runs,
              prepare_time::text AS prepared, pg_backend_pid() AS pid
         FROM pg_prepared_statements WHERE name LIKE 'lethe\\_%'`,
    );
  const round = (streamId: string, event = ev('Requested', { kind: streamId })) =>
    roundOf([{ streamId, events: [event] }]);
  const roundOf = (streams: { streamId: string; events: ReturnType<typeof ev>[] }[]) =>
    store.dataSource.transaction(async (m) => {
      await appendToNewStreams(m, streams, inSql);
      return prepared(m);
    });
  beforeAll(async () => {
    store = await openTestStore(1); // one connection: every round shares its session
  });
  afterAll(async () => {
    await store.close();
  });

  it('parses it on the first round only, runs it bound on the next, and a failed round leaves it usable', async () => {
    const first = await round('prep-1');
    expect(first).toHaveLength(1);
    expect(first[0]?.statement).toMatch(/^WITH t AS MATERIALIZED/);
    const second = await round('prep-2');
    expect(second.map((s) => s.name)).toEqual([first[0]?.name]);
    expect(second[0]?.runs).toBeGreaterThan(first[0]?.runs ?? Infinity);

    // A round that fails in the statement (the duplicate-id guard) rolls back its transaction;
    // the session's prepared statement survives and the next round uses it.
    const stored = ev('Requested', { kind: 'dup' });
    await round('prep-3', stored);
    await expect(round('prep-4', { ...stored, data: { kind: 'again' } })).rejects.toBeInstanceOf(
      EventStoreDuplicateEventError,
    );
    const after = await round('prep-5');
    // The same session, and the statement prepared by the first round: not prepared again.
    expect(after).toEqual([
      expect.objectContaining({
        name: first[0]?.name,
        pid: first[0]?.pid,
        prepared: first[0]?.prepared,
      }),
    ]);
    expect(after[0]?.runs).toBeGreaterThan(second[0]?.runs ?? Infinity);
    expect((await readStream(store.dataSource, 'prep-4')).streamExists).toBe(false);
    expect((await readStream(store.dataSource, 'prep-5')).currentVersion).toBe(1);
  });

  it('sends a round of more than PREPARED_MAX_EVENTS events unnamed (planned for its values)', async () => {
    const before = await round('prep-small');
    const large = await roundOf(
      Array.from({ length: PREPARED_MAX_EVENTS + 1 }, (_, i) => ({
        streamId: `prep-large-${i}`,
        events: [ev('Requested', { kind: 'large' })],
      })),
    );
    // The named statement did not run for the large round; the round itself was stored.
    expect(large).toEqual([
      expect.objectContaining({ name: before[0]?.name, runs: before[0]?.runs }),
    ]);
    const last = await readStream(store.dataSource, `prep-large-${PREPARED_MAX_EVENTS}`);
    expect(last.currentVersion).toBe(1);
    const next = await round('prep-small-2');
    expect(next[0]?.runs).toBe((before[0]?.runs ?? NaN) + 1);
  });
});
