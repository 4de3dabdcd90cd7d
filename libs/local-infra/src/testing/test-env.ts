/** Environment variables through which the jest global setup hands its servers to test files. */
export const TestEnv = {
  pgAdminUrl: 'LETHE_TEST_PG_ADMIN_URL',
  pgTemplate: 'LETHE_TEST_PG_TEMPLATE',
  pgVersion: 'LETHE_TEST_PG_VERSION',
  kafkaBrokers: 'LETHE_TEST_KAFKA_BROKERS',
  kafkaVersion: 'LETHE_TEST_KAFKA_VERSION',
  /** Set to `off` to skip starting Kafka (Postgres-only runs). */
  kafkaSwitch: 'LETHE_TEST_KAFKA',
} as const;

export const TEMPLATE_DATABASE = 'lethe_template';

export function requireEnv(name: string, hint: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: ${hint} (run through jest's integration or e2e project, whose global ` +
        'setup in libs/local-infra/src/testing/global-setup.ts starts the servers)',
    );
  }
  return value;
}
