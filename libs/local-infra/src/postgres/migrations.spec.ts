import { isMigrationFile } from './migrations';

describe('isMigrationFile', () => {
  it.each([
    ['1795702621283-EventStore.ts', true],
    ['1795702621283-EventStore.js', true],
    ['data-source.ts', false],
    ['data-source.js', false],
    ['schema-snapshot.int-spec.ts', false],
    ['migrate.ts', false],
    ['foo.spec.ts', false],
    ['foo.d.ts', false],
    ['foo.js.map', false],
    ['README.md', false],
  ])('%s → %s', (file, expected) => {
    expect(isMigrationFile(file)).toBe(expected);
  });
});
