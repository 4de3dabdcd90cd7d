/**
 * `npm run migration:generate -- <Name>`: writes migrations/<timestamp>-<Name>.ts with the SQL that
 * brings the schema of the existing migrations up to the entities (TypeORM CLI, migrations/data-source.ts).
 *
 * With DATABASE_URL unset it starts a throw-away embedded PostgreSQL, applies the existing
 * migrations to a fresh database and generates against that, so no set-up is needed.
 * With DATABASE_URL set, that database is compared as it is (it must be at the latest migration).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  createDatabase,
  repoRoot,
  runMigrations,
  startLocalPostgres,
  type LocalPostgres,
} from '@lethe/local-infra';

async function main(): Promise<number> {
  const name = process.argv[2];
  if (!name || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
    console.error(
      'usage: npm run migration:generate -- <Name>   (letters and digits, e.g. AddModelPolicy)',
    );
    return 2;
  }
  const root = repoRoot();
  let postgres: LocalPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  try {
    if (!databaseUrl) {
      postgres = await startLocalPostgres({ useEnv: false });
      databaseUrl = await createDatabase(postgres.url, 'lethe_migration_generate');
      const applied = await runMigrations(databaseUrl);
      console.log(
        `embedded PostgreSQL ${postgres.serverVersion}: ${applied.length} existing migration(s) applied`,
      );
    }
    const before = new Set(readdirSync(path.join(root, 'migrations')));
    const code = await run(
      path.join(root, 'node_modules', '.bin', 'typeorm-ts-node-commonjs'),
      [
        'migration:generate',
        path.join('migrations', name),
        '-d',
        path.join('migrations', 'data-source.ts'),
      ],
      {
        ...process.env,
        DATABASE_URL: databaseUrl,
        TS_NODE_TRANSPILE_ONLY: 'true',
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r tsconfig-paths/register`.trim(),
      },
    );
    const created = readdirSync(path.join(root, 'migrations')).filter((f) => !before.has(f));
    if (code === 0 && created.length > 0) {
      await run(path.join(root, 'node_modules', '.bin', 'prettier'), [
        '--write',
        ...created.map((f) => path.join('migrations', f)),
      ]);
    }
    return code;
  } finally {
    await postgres?.stop();
  }
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot(), env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
