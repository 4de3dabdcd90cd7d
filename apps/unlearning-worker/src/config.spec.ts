import { loadWorkerConfig } from './config';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadWorkerConfig(env);
    return [];
  } catch (e) {
    return [...(e as { problems: string[] }).problems];
  }
};

describe('unlearning worker configuration', () => {
  it('runs /health-only in development without Kafka, with its store defaults', () => {
    const c = loadWorkerConfig({});
    expect(c.KAFKA_BROKERS).toBeUndefined();
    expect(c).toMatchObject({
      LETHE_MODEL_STORE_DIR: '.data/model-store',
      LETHE_PRIVATE_STORE_DIR: '.data/worker-private',
      LETHE_DATA_ROOT: '.data/datasets',
      LETHE_JOBS_CONCURRENCY: 1,
      LETHE_PROGRESS_INTERVAL_MS: 500,
    });
  });

  it('in production lists every missing piece at once', () => {
    expect(problems({ NODE_ENV: 'production', LETHE_LOCAL_INFRA: '1', PORT: 'x' })).toEqual([
      expect.stringMatching(/^PORT: /),
      'LETHE_LOCAL_INFRA: not allowed in production',
      'KAFKA_BROKERS: required in production',
      expect.stringMatching(/^LETHE_AUDIT_KEYRING or LETHE_AUDIT_KEYRING_FILE: required/),
    ]);
  });

  it('consuming jobs needs exactly one source of signing keys', () => {
    expect(problems({ KAFKA_BROKERS: 'k:9092' })).toEqual([
      expect.stringMatching(/^LETHE_AUDIT_KEYRING or LETHE_AUDIT_KEYRING_FILE: required/),
    ]);
    expect(
      problems({
        KAFKA_BROKERS: 'k:9092',
        LETHE_AUDIT_KEYRING: '{}',
        LETHE_AUDIT_KEYRING_FILE: 'f',
      }),
    ).toEqual([expect.stringMatching(/not both/)]);
    expect(problems({ KAFKA_BROKERS: 'k:9092', LETHE_AUDIT_KEYRING_FILE: 'ring.json' })).toEqual(
      [],
    );
  });
});
