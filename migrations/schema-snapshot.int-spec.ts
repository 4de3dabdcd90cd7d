import {
  createTestDatabase,
  describeSchema,
  diffLines,
  readSchemaSnapshot,
  withPgClient,
  type TestDatabase,
} from '@lethe/local-infra';

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
});
