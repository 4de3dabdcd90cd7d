export {
  LocalPostgresStartError,
  startLocalPostgres,
  type LocalPostgres,
  type LocalPostgresOptions,
} from './postgres/start-local-postgres';
export {
  createDatabase,
  dropDatabase,
  sealTemplate,
  serverVersion,
  withPgClient,
} from './postgres/databases';
export { withDatabase, databaseOf, redactUrl } from './postgres/pg-url';
export {
  ensureExecutable,
  postgresBinaries,
  PostgresProcessError,
  type PostgresBinaries,
} from './postgres/postgres-process';
export {
  MIGRATIONS_TABLE,
  isMigrationFile,
  migrationFiles,
  runMigrations,
} from './postgres/migrations';
export {
  SNAPSHOT_HEADER,
  describeSchema,
  diffLines,
  readSchemaSnapshot,
  schemaSnapshotFile,
} from './postgres/schema-snapshot';
export { createTestDatabase, type TestDatabase } from './testing/create-test-database';
export { TEMPLATE_DATABASE, TestEnv } from './testing/test-env';
export { freePort, freePorts } from './support/free-port';
export { consoleLogger, silentLogger, type InfraLogger } from './support/logger';
export { dataDir, cacheDir, repoRoot } from './support/paths';
export {
  startLocalKafka,
  stopKafkaByPid,
  type LocalKafka,
  type LocalKafkaOptions,
} from './kafka/start-local-kafka';
export { resolveKafka, type ResolvedKafka } from './kafka/resolve-kafka';
export { DEFAULT_KAFKA_VERSION, kafkaVersion } from './kafka/kafka-version';
export { createTopics, deleteTopics, type TopicSpec } from './kafka/topics';
export { testKafka, namespacedTopic, newNamespace, type TestKafka } from './testing/test-kafka';
export { isAlive as isPidAlive } from './support/processes';
