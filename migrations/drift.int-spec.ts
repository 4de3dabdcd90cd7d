import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@lethe/local-infra';
import { dataSourceOptions } from './data-source';

/**
 * Entities and migrations must describe the same schema: on a fresh database with every migration
 * applied, TypeORM's schema builder must find nothing left to do. If this fails, an entity changed
 * without a migration: run `npm run migration:generate -- <Name>` and commit the new file.
 */
describe('migrations vs entities (drift check)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('lethe_drift');
    dataSource = new DataSource(dataSourceOptions(db.url));
    await dataSource.initialize();
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('has no migration left to run on the test template', async () => {
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('needs no schema change to match the entities', async () => {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    const pending = upQueries.map((q) => `${q.query};`);
    if (pending.length > 0) {
      throw new Error(
        `Entities and migrations have drifted: ${pending.length} statement(s) missing from migrations/.\n` +
          'Run `npm run migration:generate -- <Name>` and commit the file. Pending SQL:\n' +
          pending.join('\n'),
      );
    }
    expect(pending).toEqual([]);
  });
});
