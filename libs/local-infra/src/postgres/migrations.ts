// One implementation, shared with the production migration step (apps/governance/src/migrate.ts).
// A relative path, not the @lethe/shared alias: jest's global setup loads this file before any
// alias resolver is registered.
export {
  MIGRATIONS_TABLE,
  MIGRATION_LOCK,
  defaultMigrationsDir,
  isMigrationFile,
  migrationFiles,
  runMigrations,
} from '../../../shared/src/infrastructure/postgres/migrations';
