import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { repoRoot } from '../support/paths';

export const MIGRATIONS_TABLE = 'typeorm_migrations';

/** Migration classes are `migrations/*.ts`, without specs, declarations and the CLI data source. */
export function isMigrationFile(file: string): boolean {
  return (
    /\.(ts|js)$/.test(file) &&
    !/\.(spec|int-spec|e2e-spec)\.(ts|js)$/.test(file) &&
    !file.endsWith('.d.ts') &&
    !/^data-source\.(ts|js)$/.test(file)
  );
}

/**
 * The migrations folder: `migrations/` of the repository, or of the compiled tree (`dist/migrations`)
 * when this code itself runs compiled.
 */
export function defaultMigrationsDir(): string {
  return __filename.endsWith('.js')
    ? path.resolve(__dirname, '..', '..', '..', '..', 'migrations')
    : path.join(repoRoot(), 'migrations');
}

/** Absolute paths of the project's migration files, sorted. */
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

/** Applies every pending migration to the database at `url`; returns the names applied. */
export async function runMigrations(url: string, files = migrationFiles()): Promise<string[]> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations: files,
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    logging: ['error'],
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
