import {
  createTestDatabase,
  describeSchema,
  diffLines,
  readSchemaSnapshot,
  withPgClient,
  type TestDatabase,
} from '@lethe/local-infra';
import { DataSource } from 'typeorm';
import { LegacyRequestKeys1796650000000 } from './1796650000000-LegacyRequestKeys';
import { OutboxEventReference1796700000000 } from './1796700000000-OutboxEventReference';

/**
 * The migrations and migrations/schema.snapshot.sql describe the same schema: a database with
 * every migration applied (a clone of the test template) is read back from the catalog and
 * compared line by line with the committed file. A migration changed without regenerating the
 * snapshot (or a snapshot edited by hand) fails here with the diff.
 */
describe('migrations vs migrations/schema.snapshot.sql', () => {
  const databases: TestDatabase[] = [];
  const fresh = async (): Promise<TestDatabase> => {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  };
  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
  });

  it('a freshly migrated database has exactly the committed schema', async () => {
    const db = await fresh();
    const diff = diffLines(readSchemaSnapshot(), await describeSchema(db.url));
    if (diff) {
      throw new Error(
        'The schema that migrations/ produce differs from migrations/schema.snapshot.sql ' +
          '(- committed, + migrated). If the migration change is intended, run ' +
          '`npm run schema:snapshot`, review the diff and commit the file.\n' +
          diff,
      );
    }
    expect(diff).toBe('');
  });

  it('notices a column, an index, a default and a function that no migration made', async () => {
    const db = await fresh();
    const before = await describeSchema(db.url);
    await withPgClient(db.url, async (client) => {
      await client.query('alter table typeorm_migrations add column snapshot_probe int');
      await client.query('create index snapshot_probe_idx on typeorm_migrations (snapshot_probe)');
      await client.query(
        'alter table typeorm_migrations alter column snapshot_probe set default 7',
      );
      await client.query(
        'create function snapshot_probe_fn() returns int language sql as $$ select 1 $$',
      );
    });
    const diff = diffLines(before, await describeSchema(db.url));
    expect(diff).toMatch(/^\+ {3}snapshot_probe integer DEFAULT 7$/m);
    expect(diff).toMatch(/^\+ CREATE INDEX snapshot_probe_idx ON public\.typeorm_migrations/m);
    expect(diff).toMatch(/^\+ CREATE OR REPLACE FUNCTION public\.snapshot_probe_fn\(\)/m);
  });

  it('LegacyRequestKeys builds its index concurrently, can be rerun, and rebuilds an invalid one', async () => {
    const db = await fresh();
    const committed = await describeSchema(db.url);
    const indexes = (): Promise<{ name: string; valid: boolean }[]> =>
      withPgClient(db.url, async (client) => {
        const { rows } = await client.query<{ name: string; valid: boolean }>(
          `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
            WHERE c.relname IN ('gov_deletion_requests_view_legacy_key_idx',
                                'gov_deletion_requests_view_source_event_idx')
            ORDER BY 1`,
        );
        return rows;
      });
    const dataSource = await new DataSource({ type: 'postgres', url: db.url }).initialize();
    try {
      const runner = dataSource.createQueryRunner();
      const migration = new LegacyRequestKeys1796650000000();
      expect(migration.transaction).toBe(false);
      await migration.down(runner);
      expect(await indexes()).toEqual([
        { name: 'gov_deletion_requests_view_source_event_idx', valid: true },
      ]);
      await migration.up(runner);
      await migration.up(runner); // a rerun after a run cut short changes nothing
      expect(await indexes()).toEqual([
        { name: 'gov_deletion_requests_view_legacy_key_idx', valid: true },
      ]);
      // What a failed CONCURRENTLY build leaves behind: an index marked invalid.
      await withPgClient(db.url, (client) =>
        client.query(
          `UPDATE pg_index SET indisvalid = false
            WHERE indexrelid = 'gov_deletion_requests_view_legacy_key_idx'::regclass`,
        ),
      );
      expect(await indexes()).toEqual([
        { name: 'gov_deletion_requests_view_legacy_key_idx', valid: false },
      ]);
      await migration.up(runner);
      expect(await indexes()).toEqual([
        { name: 'gov_deletion_requests_view_legacy_key_idx', valid: true },
      ]);
      await runner.release();
    } finally {
      await dataSource.destroy();
    }
    expect(diffLines(committed, await describeSchema(db.url))).toBe('');
  });

  it('OutboxEventReference: down is refused while a row naming its event is unpublished (it would become a tombstone); up can be rerun', async () => {
    const db = await fresh();
    const committed = await describeSchema(db.url);
    const dataSource = await new DataSource({ type: 'postgres', url: db.url }).initialize();
    try {
      const runner = dataSource.createQueryRunner();
      const migration = new OutboxEventReference1796700000000();
      expect(migration.transaction).toBe(false);
      await dataSource.query(
        "INSERT INTO outbox (topic, key, headers, event_position) VALUES ('t', 'k', '{}'::jsonb, 1)",
      );
      await expect(migration.down(runner)).rejects.toThrow(/1 unpublished outbox row\(s\) name/);
      expect(diffLines(committed, await describeSchema(db.url))).toBe('');
      await dataSource.query('UPDATE outbox SET published_at = now()');
      await migration.down(runner);
      const columns = await dataSource.query<unknown[]>(
        "SELECT 1 FROM information_schema.columns WHERE table_name = 'outbox' AND column_name = 'event_position'",
      );
      expect(columns).toEqual([]);
      await migration.up(runner);
      await migration.up(runner); // a rerun after a run cut short changes nothing
      await runner.release();
    } finally {
      await dataSource.destroy();
    }
    expect(diffLines(committed, await describeSchema(db.url))).toBe('');
  });
});
