import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { DataSource, type QueryRunner } from 'typeorm';

/** Table in which TypeORM records the migrations applied to a database. */
export const MIGRATIONS_TABLE = 'typeorm_migrations';

/**
 * Session advisory lock held while migrations run, so that two migration steps started at once
 * (a retried deployment job, two operators) apply them one after the other, never together.
 */
export const MIGRATION_LOCK = [0x4c455448, 1] as const; // "LETH", 1

/** How often a migration step that found the lock taken asks for it again. */
const MIGRATION_LOCK_POLL_MS = 200;

/** How often a waiting step says whom it waits for, by default. */
const MIGRATION_LOCK_REPORT_MS = 10_000;

/** Migration classes are timestamp-named: `1795702700000-GovernanceCore.ts` (`.js` once compiled). */
export function isMigrationFile(file: string): boolean {
  return /^\d{13}-[A-Za-z][A-Za-z0-9]*\.(ts|js)$/.test(file);
}

/**
 * The repository's `migrations/` folder, or `dist/migrations` when this file runs compiled
 * (libs/shared/src/infrastructure/postgres is five levels below either root).
 */
export function defaultMigrationsDir(): string {
  return path.resolve(__dirname, '..', '..', '..', '..', '..', 'migrations');
}

/** Absolute paths of the migration files, in the order they apply. */
export function migrationFiles(dir = defaultMigrationsDir()): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries
    .filter(isMigrationFile)
    .sort()
    .map((file) => path.join(dir, file));
}

function migrationDataSource(url: string, files: readonly string[]): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: [...files],
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    logging: ['error'],
    extra: { max: 2 },
  });
}

/** What `runMigrations` reports while it waits for another step's migration lock. */
export interface MigrationLockWait {
  /** Server pid of the session that holds the lock (null: released meanwhile). */
  readonly holderPid: number | null;
  readonly waitedMs: number;
}

export interface MigrationLockWaiting {
  readonly onWaiting?: (wait: MigrationLockWait) => void;
  readonly reportEveryMs?: number;
}

/**
 * Applies every pending migration to the database at `url`, each in its own transaction, under
 * the migration advisory lock; returns the names applied (empty when the schema was current).
 * While another step holds the lock, `waiting.onWaiting` is called every `waiting.reportEveryMs`
 * (default 10 s).
 */
export async function runMigrations(
  url: string,
  files = migrationFiles(),
  waiting: MigrationLockWaiting = {},
): Promise<string[]> {
  const dataSource = migrationDataSource(url, files);
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await acquireMigrationLock(lock, waiting);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((migration) => migration.name);
    } finally {
      // A failed unlock must not hide the outcome: closing the session below releases it.
      await lock
        .query('select pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK])
        .catch(() => undefined);
    }
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}

/**
 * Takes the migration lock by asking for it (`pg_try_advisory_lock`) until it is free, never by
 * waiting inside the server (`pg_advisory_lock`). A waiting statement keeps its snapshot open, and
 * a `CREATE INDEX CONCURRENTLY` in the holder's migration waits for every older snapshot to end:
 * the holder would wait on the waiter, the waiter on the holder's lock, through a dependency the
 * server cannot see (the lock and the index build are two connections of one step), so neither
 * would ever finish. Between two tries the waiter holds no snapshot.
 */
async function acquireMigrationLock(
  lock: QueryRunner,
  { onWaiting, reportEveryMs = MIGRATION_LOCK_REPORT_MS }: MigrationLockWaiting,
): Promise<void> {
  const started = Date.now();
  let reported = started;
  for (;;) {
    const [row] = (await lock.query('select pg_try_advisory_lock($1, $2) as locked', [
      ...MIGRATION_LOCK,
    ])) as { locked: boolean }[];
    if (row?.locked) return;
    if (onWaiting && Date.now() - reported >= reportEveryMs) {
      reported = Date.now();
      const [holder] = (await lock.query(
        "select pid from pg_locks where locktype = 'advisory' and granted and classid = $1::oid and objid = $2::oid and objsubid = 2 and database = (select oid from pg_database where datname = current_database())",
        [...MIGRATION_LOCK],
      )) as { pid: number }[];
      onWaiting({ holderPid: holder?.pid ?? null, waitedMs: reported - started });
    }
    await new Promise((resolve) => setTimeout(resolve, MIGRATION_LOCK_POLL_MS));
  }
}

/** Names of the migrations that the database at `url` has not applied yet, in order. */
export async function pendingMigrations(url: string, files = migrationFiles()): Promise<string[]> {
  const dataSource = migrationDataSource(url, files);
  await dataSource.initialize();
  try {
    const [{ exists } = { exists: false }] = await dataSource.query<{ exists: boolean }[]>(
      'select to_regclass($1) is not null as exists',
      [MIGRATIONS_TABLE],
    );
    const rows = exists
      ? await dataSource.query<{ name: string }[]>(`select name from ${MIGRATIONS_TABLE}`)
      : [];
    const applied = new Set(rows.map((row) => row.name));
    return dataSource.migrations
      .map((migration) => migration.name ?? migration.constructor.name)
      .filter((name) => !applied.has(name));
  } finally {
    await dataSource.destroy();
  }
}
