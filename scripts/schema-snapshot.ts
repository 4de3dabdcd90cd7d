/**
 * `npm run schema:snapshot [-- --check]`: applies migrations/ to a fresh database on a throw-away
 * embedded PostgreSQL, reads its schema from the catalog and writes migrations/schema.snapshot.sql
 * (with --check: writes nothing, exits 1 and prints the diff when the file is out of date).
 * Run it after adding or changing a migration, review the diff, and commit the file with it.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  createDatabase,
  describeSchema,
  diffLines,
  readSchemaSnapshot,
  repoRoot,
  runMigrations,
  schemaSnapshotFile,
  startLocalPostgres,
  type LocalPostgres,
} from '@lethe/local-infra';

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  let postgres: LocalPostgres | undefined;
  try {
    postgres = await startLocalPostgres({ useEnv: false });
    const url = await createDatabase(postgres.url, 'lethe_schema_snapshot');
    const applied = await runMigrations(url);
    const actual = await describeSchema(url);
    const file = schemaSnapshotFile();
    const shown = path.relative(repoRoot(), file);
    const diff = diffLines(readSchemaSnapshot(file), actual);
    if (!diff) {
      console.log(`${shown} is up to date (${applied.length} migrations)`);
      return 0;
    }
    if (check) {
      console.error(`${shown} is out of date; run \`npm run schema:snapshot\`:\n${diff}`);
      return 1;
    }
    writeFileSync(file, actual);
    console.log(`${shown} written (${applied.length} migrations); changes:\n${diff}`);
    return 0;
  } finally {
    await postgres?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
