import type { Decider } from '@lethe/shared';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { appendToStream, handleCommand, readStream, type Event } from '../src';
import {
  createTestDatabase,
  type TestDatabase,
} from '@lethe/local-infra/testing/create-test-database';
import { ev } from './helpers';

type Added = Event<'Added', { n: number }>;
const counter: Decider<{ n: number }, Added, number> = {
  initialState: () => 0,
  evolve: (s, e) => s + e.data.n,
  decide: (c) => [{ type: 'Added', data: { n: c.n } }],
};
const metadata = { correlationId: 'corr', causationId: null, actor: 'system:test' };

/** Records every statement the DataSource sends (TypeORM's logger sees each one). */
class StatementLog implements TypeOrmLogger {
  readonly statements: string[] = [];
  logQuery(query: string): void {
    this.statements.push(query.replace(/\s+/g, ' ').trim());
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  take(): string[] {
    return this.statements.splice(0);
  }
}

/**
 * The append path after issue "one round trip per append": `appendToStream` is one call of
 * `lethe_append_to_stream` (migration EventStoreAppendFunction) instead of four statements.
 */
describe('appendToStream: one statement per append (lethe_append_to_stream)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const log = new StatementLog();

  beforeAll(async () => {
    db = await createTestDatabase('es_fn');
    ds = new DataSource({
      type: 'postgres',
      url: db.url,
      poolSize: 4,
      logging: 'all',
      logger: log,
    });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('in a transaction: BEGIN, one append statement, COMMIT; events, stream and outbox rows land', async () => {
    log.take();
    await ds.transaction((m) =>
      appendToStream(
        m,
        'fn-1',
        'no-stream',
        [ev('Added', { n: 1 }), ev('Added', { n: 2 })],
        [{ topic: 'fn-topic', key: 'fn-1', value: { hello: 'world' } }],
      ),
    );
    const sent = log.take();
    expect(sent).toHaveLength(3);
    expect(sent[0]).toMatch(/^START TRANSACTION/);
    expect(sent[1]).toMatch(/lethe_append_to_stream/);
    expect(sent[2]).toMatch(/^COMMIT/);
    const read = await readStream<Added>(ds, 'fn-1');
    expect(read.currentVersion).toBe(2);
    expect(read.events.map((e) => [e.streamVersion, e.data.n])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const [row] = await ds.query<{ value: string }[]>(
      `SELECT convert_from(value, 'UTF8') AS value FROM outbox WHERE topic = 'fn-topic'`,
    );
    expect(row?.value).toBe('{"hello":"world"}');
  });

  it('on the DataSource: the single statement is its own transaction, all or nothing', async () => {
    log.take();
    const r = await appendToStream(
      ds,
      'fn-2',
      'no-stream',
      [ev('Added', { n: 5 })],
      [{ topic: 'fn-topic-2', key: 'k', value: 'v' }],
    );
    expect(log.take()).toHaveLength(1);
    expect(r.nextExpectedVersion).toBe(1);
    expect(r.lastGlobalPosition).toBeGreaterThan(0n);
    expect(r.transactionId).toBeGreaterThan(0n);
    const stored = await readStream<Added>(ds, 'fn-2');
    expect(stored.events[0]?.transactionId).toBe(r.transactionId);
    expect(stored.events[0]?.globalPosition).toBe(r.lastGlobalPosition);

    // A refused append (stale version) writes neither events nor outbox rows.
    await expect(
      appendToStream(
        ds,
        'fn-2',
        0,
        [ev('Added', { n: 6 })],
        [{ topic: 'fn-topic-2', key: 'k', value: 'x' }],
      ),
    ).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', reason: 'version', actual: 1 });
    // A duplicate event id fails inside the statement: the outbox row written before it is gone too.
    const dup = ev('Added', { n: 7 });
    await appendToStream(ds, 'fn-3', 'no-stream', [dup]);
    await expect(
      appendToStream(ds, 'fn-2', 1, [dup], [{ topic: 'fn-topic-2', key: 'k', value: 'y' }]),
    ).rejects.toMatchObject({ code: 'DUPLICATE_EVENT' });
    expect((await readStream(ds, 'fn-2')).currentVersion).toBe(1);
    const [n] = await ds.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM outbox WHERE topic = 'fn-topic-2'`,
    );
    expect(n?.n).toBe(1);
  });

  it('handleCommand without conflict: one read, one self-committing append', async () => {
    await handleCommand(ds, 'fn-cmd', counter, { n: 1 }, { metadata });
    log.take();
    const r = await handleCommand(
      ds,
      'fn-cmd',
      counter,
      { n: 2 },
      {
        metadata,
        outbox: (events) => events.map((e) => ({ topic: 'fn-cmd', key: 'fn-cmd', value: e.data })),
      },
    );
    const sent = log.take();
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/FROM events/);
    expect(sent[1]).toMatch(/lethe_append_to_stream/);
    expect(r).toMatchObject({ attempts: 1, nextExpectedVersion: 2, newState: 3 });
    const [n] = await ds.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM outbox WHERE topic = 'fn-cmd'`,
    );
    expect(n?.n).toBe(1);
  });

  it('events keeps three indexes: (stream_id, stream_version) as primary key, event id, safe order', async () => {
    const rows = await ds.query<{ indexname: string; indexdef: string }[]>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events' ORDER BY indexname`,
    );
    expect(rows.map((r) => r.indexname)).toEqual([
      'events_event_id_uq',
      'events_safe_order_idx',
      'events_stream_version_uq',
    ]);
    const [pk] = await ds.query<{ columns: string }[]>(
      `SELECT pg_get_constraintdef(oid) AS columns FROM pg_constraint
        WHERE conrelid = 'events'::regclass AND contype = 'p'`,
    );
    expect(pk?.columns).toBe('PRIMARY KEY (stream_id, stream_version)');
  });

  it('a version race on the primary key still maps to CONCURRENCY_CONFLICT', async () => {
    // Bypass the function's checks: insert version 1 of a stream the streams table does not know.
    await ds.query(
      `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata)
       VALUES ('fn-race', 1, gen_random_uuid(), 'Added', '{}', '{}')`,
    );
    await expect(
      appendToStream(ds, 'fn-race', 'no-stream', [ev('Added', { n: 1 })]),
    ).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      actual: -1,
    });
  });
});
