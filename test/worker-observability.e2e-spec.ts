import { freePort } from '@lethe/local-infra';
import { sampleValue } from '@lethe/shared/testing/prometheus-text';
import { type AppProcess, startApp, waitForHttp } from './support/app-process';

/**
 * Black box: the worker serves GET /metrics (process metrics and the job series of
 * docs/adr/0014-observability.md) and separate liveness and readiness. Without KAFKA_BROKERS it
 * consumes nothing and is ready; the probe's Kafka check is covered against a real broker and a
 * closed port in libs/shared/src/infrastructure/health/kafka-health.int-spec.ts, and through a
 * broker outage on the governance service in observability.e2e-spec.ts.
 */
describe('unlearning worker observability', () => {
  let app: AppProcess;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = startApp('unlearning-worker', {
      PORT: String(port),
      LETHE_TF_BACKEND: 'wasm',
      WORKER_ID: 'w-obs',
    });
    await waitForHttp(`${base}/health/live`, 180_000, app);
  }, 240_000);

  afterAll(async () => app?.stop());

  it('is live and ready, without credentials', async () => {
    const live = await fetch(`${base}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok', workerId: 'w-obs' });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      details: { kafka: { status: 'up', configured: false } },
    });
  });

  it('serves Prometheus metrics labelled with the app', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(
      sampleValue(text, 'process_resident_memory_bytes', { app: 'unlearning-worker' }),
    ).toBeGreaterThan(0);
    expect(text).toContain('# TYPE lethe_jobs_completed_total counter');
    expect(text).toContain('# TYPE lethe_job_duration_seconds histogram');
  });
});
