import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../testing/create-test-database';
import { TEMPLATE_DATABASE, TestEnv } from '../testing/test-env';
import { serverVersion, withPgClient } from './databases';

describe('local PostgreSQL (real server from the global setup)', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
  });

  async function freshDatabase(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  }

  it('answers with a real server_version', async () => {
    const db = await freshDatabase();
    const { version, serverVersion: sv } = await serverVersion(db.url);
    console.log(`PostgreSQL under test: ${version}`);
    expect(version).toMatch(/^PostgreSQL \d+/);
    expect(sv).toMatch(/^\d+(\.\d+)?/);
    expect(Number(sv.split('.')[0])).toBeGreaterThanOrEqual(14);
    expect(process.env[TestEnv.pgVersion]).toBe(sv);
  });

  it('clones databases from the migrated template, with the migrations table in them', async () => {
    const db = await freshDatabase();
    expect(db.name).not.toBe(TEMPLATE_DATABASE);
    const result = await withPgClient(db.url, (client) =>
      client.query<{ table: string | null }>(
        "select to_regclass('public.typeorm_migrations')::text as table",
      ),
    );
    expect(result.rows[0]?.table).toBe('typeorm_migrations');
  });

  it('keeps clones isolated from each other', async () => {
    const [a, b] = await Promise.all([freshDatabase(), freshDatabase()]);
    if (!a || !b) throw new Error('no databases');
    await withPgClient(a.url, async (client) => {
      await client.query('create table isolation_probe (id int primary key, note text)');
      await client.query("insert into isolation_probe values (1, 'only in a')");
    });
    const inA = await withPgClient(a.url, (client) =>
      client.query<{ note: string }>('select note from isolation_probe'),
    );
    expect(inA.rows.map((r) => r.note)).toEqual(['only in a']);
    const inB = await withPgClient(b.url, (client) =>
      client.query<{ t: string | null }>("select to_regclass('public.isolation_probe')::text as t"),
    );
    expect(inB.rows[0]?.t).toBeNull();
    const c = await freshDatabase();
    const inC = await withPgClient(c.url, (client) =>
      client.query<{ t: string | null }>("select to_regclass('public.isolation_probe')::text as t"),
    );
    expect(inC.rows[0]?.t).toBeNull();
  });

  it('drops a test database, also while a client is still connected', async () => {
    const db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    await db.drop();
    const adminUrl = process.env[TestEnv.pgAdminUrl] as string;
    const left = await withPgClient(adminUrl, (admin) =>
      admin.query('select 1 from pg_database where datname = $1', [db.name]),
    );
    expect(left.rowCount).toBe(0);
    await client.end().catch(() => undefined);
  });
});
