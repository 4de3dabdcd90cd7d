import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase } from '../postgres/databases';
import { databaseOf } from '../postgres/pg-url';
import { TEMPLATE_DATABASE, TestEnv, requireEnv } from './test-env';

export interface TestDatabase {
  /** Connection URL of the new database (superuser). */
  url: string;
  name: string;
  drop(): Promise<void>;
}

let counter = 0;

/**
 * A fresh database cloned from the migrated template `lethe_template` (CREATE DATABASE … TEMPLATE),
 * so every test file (or test) gets the full schema in a few milliseconds, isolated from the rest.
 */
export async function createTestDatabase(prefix = 'lethe_t'): Promise<TestDatabase> {
  const adminUrl = requireEnv(TestEnv.pgAdminUrl, 'no test PostgreSQL server');
  const template = process.env[TestEnv.pgTemplate] ?? TEMPLATE_DATABASE;
  counter += 1;
  const name = `${prefix}_${process.pid}_${counter}_${randomBytes(4).toString('hex')}`.slice(0, 63);
  const url = await createDatabase(adminUrl, name, template);
  return {
    url,
    name: databaseOf(url),
    drop: () => dropDatabase(adminUrl, name),
  };
}
