import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger, type InfraLogger } from '../support/logger';
import { withPgClient } from './databases';
import { postgresBinaries } from './postgres-process';
import {
  LocalPostgresStartError,
  startLocalPostgres,
  type LocalPostgres,
} from './start-local-postgres';

const runBits = (file: string): number => statSync(file).mode & 0o111;

/**
 * A fresh `npm ci` can leave the server binaries without their run bits; the first start must
 * still work (it once died with an unhandled `spawn … initdb EACCES`).
 */
describe('embedded PostgreSQL on a fresh install', () => {
  it('starts although the binaries have lost their run bits, and makes them executable again', async () => {
    const { dir } = postgresBinaries();
    const files = readdirSync(dir).map((name) => path.join(dir, name));
    const modes = new Map(files.map((file) => [file, statSync(file).mode & 0o7777]));
    const logged: string[] = [];
    const logger: InfraLogger = { info: (m) => logged.push(m), warn: (m) => logged.push(m) };
    let postgres: LocalPostgres | undefined;
    try {
      for (const file of files) chmodSync(file, 0o644);
      // The precondition is real: nothing in the folder can be run.
      expect(files.filter((file) => runBits(file) !== 0)).toEqual([]);

      postgres = await startLocalPostgres({ useEnv: false, logger });

      const rows = await withPgClient(
        postgres.url,
        async (client) => (await client.query<{ one: number }>('select 1 as one')).rows,
      );
      expect(rows).toEqual([{ one: 1 }]);
      expect(files.filter((file) => runBits(file) !== 0o111)).toEqual([]);
      expect(logged.join('\n')).toMatch(/made PostgreSQL binaries executable: .*initdb/);
    } finally {
      await postgres?.stop();
      for (const [file, mode] of modes) chmodSync(file, mode);
    }
  }, 120_000);

  it('turns a binary that cannot be spawned into a start failure after its retries, never a crash', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'lethe-no-pg-'));
    chmodSync(empty, 0o755); // readable by the `postgres` user the servers run as under root
    const warnings: string[] = [];
    try {
      const start = startLocalPostgres({
        useEnv: false,
        attempts: 2,
        binaries: {
          dir: empty,
          initdb: path.join(empty, 'initdb'),
          postgres: path.join(empty, 'postgres'),
        },
        logger: { ...silentLogger, warn: (m) => warnings.push(m) },
      });
      const error = await start.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LocalPostgresStartError);
      expect((error as LocalPostgresStartError).attempts).toBe(2);
      expect((error as Error).message).toMatch(/could not run .*initdb: ENOENT/);
      expect(warnings.filter((w) => /start attempt \d\/2 .* failed/.test(w))).toHaveLength(2);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
