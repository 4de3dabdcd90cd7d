import { startApp } from './support/app-process';

/** A deliberately wrong environment stops each app at boot with the whole list of problems. */
describe('configuration errors at boot', () => {
  it('governance exits 78 and lists every problem', async () => {
    const app = startApp('governance', {
      PORT: 'not-a-port',
      LETHE_API_KEYS: 'crm:short:wizard',
      LETHE_SUBJECT_HMAC_KEY: 'too-short',
      NODE_ENV: 'production',
    });
    expect(await app.exited).toBe(78);
    const out = app.output();
    expect(out).toContain('governance: invalid configuration (7 problems)');
    for (const field of [
      'LETHE_AUDIT_KEYRING or LETHE_AUDIT_KEYRING_FILE',
      'PORT',
      'LETHE_API_KEYS',
      'LETHE_SUBJECT_HMAC_KEY',
      'DATABASE_URL',
      'KAFKA_BROKERS',
    ]) {
      expect(out).toContain(`- ${field}:`);
    }
  }, 60_000);

  it('governance without DATABASE_URL and KAFKA_BROKERS exits 78 instead of starting local servers', async () => {
    const app = startApp('governance', {
      LETHE_API_KEYS: 'crm:crm-key-0000000001:publisher',
      LETHE_SUBJECT_HMAC_KEY: 'e2e-subject-hmac-key-0123456789abcdef',
    });
    expect(await app.exited).toBe(78);
    const out = app.output();
    expect(out).toContain('governance: invalid configuration (2 problems)');
    expect(out).toContain('- DATABASE_URL: required (or LETHE_LOCAL_INFRA=1');
    expect(out).toContain('- KAFKA_BROKERS: required (or LETHE_LOCAL_INFRA=1');
    expect(out).not.toMatch(/PostgreSQL .* started|Kafka .* started/);
  }, 60_000);

  it('governance refuses LETHE_LOCAL_INFRA in production', async () => {
    const app = startApp('governance', {
      NODE_ENV: 'production',
      LETHE_LOCAL_INFRA: '1',
      LETHE_API_KEYS: 'crm:crm-key-0000000001:publisher',
      LETHE_SUBJECT_HMAC_KEY: 'e2e-subject-hmac-key-0123456789abcdef',
    });
    expect(await app.exited).toBe(78);
    const out = app.output();
    expect(out).toContain('governance: invalid configuration (2 problems)');
    expect(out).toContain('- LETHE_LOCAL_INFRA: not allowed in production');
    expect(out).toContain(
      '- LETHE_AUDIT_KEYRING or LETHE_AUDIT_KEYRING_FILE: required in production',
    );
  }, 60_000);

  it('unlearning worker exits 78 and lists every problem', async () => {
    const app = startApp('unlearning-worker', {
      PORT: '70000',
      LETHE_TF_BACKEND: 'gpu',
      LOG_LEVEL: 'loud',
    });
    expect(await app.exited).toBe(78);
    const out = app.output();
    expect(out).toContain('unlearning-worker: invalid configuration (3 problems)');
    for (const field of ['PORT', 'LETHE_TF_BACKEND', 'LOG_LEVEL'])
      expect(out).toContain(`- ${field}:`);
  }, 60_000);
});
