import 'reflect-metadata';
import * as path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS_TABLE, migrationFiles } from '../libs/local-infra/src/postgres/migrations';

const root = path.resolve(__dirname, '..');

/** Entity classes live in the infrastructure layer of each lib. */
export const ENTITY_GLOBS = [
  path.join(root, 'libs/*/src/**/infrastructure/**/*.entity.ts'),
  path.join(root, 'libs/*/src/infrastructure/**/*.entity.ts'),
];

/** The options every tool shares: the TypeORM CLI below, the drift check, the test template. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITY_GLOBS,
    migrations: migrationFiles(path.join(root, 'migrations')),
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    logging: ['error', 'warn'],
  };
}

const url = process.env.DATABASE_URL;
if (!url && process.argv.some((arg) => arg.startsWith('migration:'))) {
  throw new Error(
    'DATABASE_URL is not set. Set it, or use `npm run migration:generate -- <Name>`, which starts an embedded PostgreSQL itself.',
  );
}

/** Data source for the TypeORM CLI (`-d migrations/data-source.ts`); reads DATABASE_URL. */
export default new DataSource(dataSourceOptions(url ?? 'postgres://unset@127.0.0.1:1/unset'));
