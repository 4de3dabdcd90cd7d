import { Client, escapeIdentifier } from 'pg';
import { sleep } from '../support/processes';
import { withDatabase } from './pg-url';

const OBJECT_IN_USE = '55006';

/** Runs `fn` with a connected client and always closes it. */
export async function withPgClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `select version()` and `server_version` of the server behind `url`. */
export async function serverVersion(
  url: string,
): Promise<{ version: string; serverVersion: string }> {
  return withPgClient(url, async (client) => {
    const result = await client.query<{ version: string; server_version: string }>(
      "select version() as version, current_setting('server_version') as server_version",
    );
    const row = result.rows[0];
    if (!row) throw new Error('select version() returned no row');
    return { version: row.version, serverVersion: row.server_version };
  });
}

/**
 * Creates database `name` on the server of `adminUrl` (optionally as a copy of `template`) and
 * returns its URL. Retries for a few seconds while the template is briefly in use.
 */
export async function createDatabase(
  adminUrl: string,
  name: string,
  template?: string,
): Promise<string> {
  const sql =
    `CREATE DATABASE ${escapeIdentifier(name)}` +
    (template ? ` TEMPLATE ${escapeIdentifier(template)}` : '');
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await withPgClient(adminUrl, (client) => client.query(sql));
      return withDatabase(adminUrl, name);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== OBJECT_IN_USE || Date.now() > deadline) {
        throw new Error(
          `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''} failed: ${(error as Error).message}`,
        );
      }
      await sleep(100);
    }
  }
}

/** Drops database `name` if it exists, disconnecting its sessions and clearing a template flag. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withPgClient(adminUrl, async (client) => {
    const found = await client.query<{ datistemplate: boolean }>(
      'select datistemplate from pg_database where datname = $1',
      [name],
    );
    if (found.rows.length === 0) return;
    if (found.rows[0]?.datistemplate) {
      await client.query(`ALTER DATABASE ${escapeIdentifier(name)} IS_TEMPLATE false`);
    }
    await client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
  });
}

/** Marks `name` as a template that nobody can connect to, so that clones never wait on it. */
export async function sealTemplate(adminUrl: string, name: string): Promise<void> {
  await withPgClient(adminUrl, async (client) => {
    await client.query(
      `ALTER DATABASE ${escapeIdentifier(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
    );
    await client.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [name],
    );
  });
}
