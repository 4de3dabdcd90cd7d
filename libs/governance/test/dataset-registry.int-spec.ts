import type { DataSource } from 'typeorm';
import { PgDatasetRegistry } from '../src/infrastructure/persistence/dataset-registry';
import { startGovernance, type GovernanceTestApp } from './harness';

jest.setTimeout(120_000);

/**
 * The dataset registry remembers ids it found registered (datasets are never unregistered) and
 * asks PostgreSQL again about ids it found missing, which may be registered meanwhile.
 */
describe('PgDatasetRegistry.existing (real Postgres)', () => {
  let t: GovernanceTestApp;
  let queries = 0;
  let registry: PgDatasetRegistry;

  beforeAll(async () => {
    t = await startGovernance({ withKafka: false, run: { projections: false, scheduler: false } });
    const counting = {
      query: (text: string, params?: unknown[]) => {
        queries += 1;
        return t.dataSource.query(text, params);
      },
    } as unknown as DataSource;
    registry = new PgDatasetRegistry(counting);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('asks once for a registered id, and again for a missing one until it is registered', async () => {
    await t.dataSource.transaction((m) => registry.insert(m, 'reg-a', 'a'));
    expect([...(await registry.existing(['reg-a', 'reg-b']))]).toEqual(['reg-a']);
    expect(queries).toBe(1);
    // reg-a is remembered; reg-b is asked about again.
    expect([...(await registry.existing(['reg-a', 'reg-b']))]).toEqual(['reg-a']);
    expect(queries).toBe(2);
    // Registered by someone else (another replica): found on the next call.
    await t.dataSource.query("INSERT INTO gov_datasets (dataset_id, name) VALUES ('reg-b', 'b')");
    expect([...(await registry.existing(['reg-b', 'reg-a']))].sort()).toEqual(['reg-a', 'reg-b']);
    expect(queries).toBe(3);
    // Both remembered now: no query at all.
    expect([...(await registry.existing(['reg-a', 'reg-b', 'reg-a']))].sort()).toEqual([
      'reg-a',
      'reg-b',
    ]);
    expect(queries).toBe(3);
    expect((await registry.existing([])).size).toBe(0);
    expect(queries).toBe(3);
  });

  it('does not remember a registration whose transaction rolled back', async () => {
    await t.dataSource
      .transaction(async (m) => {
        await registry.insert(m, 'reg-gone', 'gone');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect((await registry.existing(['reg-gone'])).size).toBe(0);
  });
});
