import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../testing/create-test-database';
import { MIGRATION_LOCK, runMigrations } from './migrations';

/**
 * A migration step waiting for the migration lock must not stop the holder's
 * `CREATE INDEX CONCURRENTLY` (migrations/1796650000000-LegacyRequestKeys.ts builds one). A step
 * that waited inside the server (`pg_advisory_lock`) kept a snapshot open, the index build waited
 * for that snapshot, and two steps started together hung for ever (CI, stop 12).
 */
describe('the migration lock and CREATE INDEX CONCURRENTLY', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('a step waiting for the lock lets the holder build an index concurrently', async () => {
    // Like a migration step: the lock on one connection, the migration on another. The server
    // sees no cycle between them, so it cannot break one as a deadlock.
    const holder = new Client({ connectionString: db.url });
    const builder = new Client({ connectionString: db.url });
    await holder.connect();
    await builder.connect();
    let waiter: Promise<string[]> | undefined;
    const waits: (number | null)[] = [];
    try {
      await builder.query('create table lock_probe (id int)');
      await holder.query('select pg_advisory_lock($1, $2)', [...MIGRATION_LOCK]);

      const { rows: me } = await holder.query<{ pid: number }>('select pg_backend_pid() as pid');
      waiter = runMigrations(db.url, undefined, {
        reportEveryMs: 300,
        onWaiting: (wait) => waits.push(wait.holderPid),
      });
      // The waiter has asked for the lock at least once (its last statement names it).
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { rows } = await holder.query<{ n: string }>(
          "select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like '%advisory_lock%'",
        );
        if (Number(rows[0]?.n) > 0) break;
        if (Date.now() > deadline)
          throw new Error('the waiting migration step never asked for the lock');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));

      // Hung for ever before the fix; the timeout turns a regression into a failure.
      await builder.query("set statement_timeout = '20s'");
      await builder.query('create index concurrently lock_probe_idx on lock_probe (id)');
      const { rows } = await builder.query<{ valid: boolean }>(
        "select indisvalid as valid from pg_index where indexrelid = 'lock_probe_idx'::regclass",
      );
      expect(rows).toEqual([{ valid: true }]);
      // The waiting step says whom it waits for.
      const until = Date.now() + 10_000;
      while (waits.length === 0 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(waits.length).toBeGreaterThan(0);
      expect(new Set(waits)).toEqual(new Set([me[0]?.pid]));
    } finally {
      await holder.query('select pg_advisory_unlock_all()');
      await holder.end();
      await builder.end();
    }
    // Then the waiter gets the lock, finds the clone's schema current, and applies nothing.
    await expect(waiter).resolves.toEqual([]);
  }, 90_000);
});
