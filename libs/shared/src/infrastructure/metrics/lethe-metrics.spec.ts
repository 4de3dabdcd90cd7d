import { sampleValue } from '../../testing/prometheus-text';
import { LetheMetrics } from './lethe-metrics';

/** `name{a="x",…}` → its value, labels matched exactly (order ignored). */
const valueOf = (text: string, series: string): number | undefined => {
  const m = /^([^{]+)(?:\{(.*)\})?$/.exec(series);
  const labels = Object.fromEntries(
    [...(m?.[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
  );
  return sampleValue(text, m?.[1] ?? '', labels, true);
};

const fresh = () => new LetheMetrics({ app: 'test', defaultMetrics: false });

describe('LetheMetrics', () => {
  it('labels every series with the app and counts intake by door, outcome and code', async () => {
    const m = fresh();
    m.countIntake('http', 'accepted');
    m.countIntake('kafka', 'rejected', 'SCHEMA_VIOLATION', 3);
    m.countIntake('kafka', 'duplicate', '', 0); // nothing to count: no series
    const text = await m.scrape();
    expect(
      valueOf(text, 'lethe_intake_events_total{door="http",outcome="accepted",code="",app="test"}'),
    ).toBe(1);
    expect(
      valueOf(
        text,
        'lethe_intake_events_total{door="kafka",outcome="rejected",code="SCHEMA_VIOLATION",app="test"}',
      ),
    ).toBe(3);
    expect(text).not.toContain('outcome="duplicate"');
  });

  it('times a job and counts it by outcome (the worker API)', async () => {
    const m = fresh();
    const done = m.startJobTimer();
    done('succeeded', 'newton-lissa');
    m.startJobTimer()('failed');
    const text = await m.scrape();
    expect(
      valueOf(
        text,
        'lethe_jobs_completed_total{outcome="succeeded",method="newton-lissa",app="test"}',
      ),
    ).toBe(1);
    expect(valueOf(text, 'lethe_job_duration_seconds_count{outcome="failed",app="test"}')).toBe(1);
  });

  it('advances a counter to a running total kept elsewhere, never backwards', async () => {
    const m = fresh();
    m.advanceTo(m.outboxPublished, 10);
    m.advanceTo(m.outboxPublished, 25);
    m.advanceTo(m.outboxPublished, 5); // a restarted component: nothing moves
    m.advanceTo(m.outboxPublished, 30);
    expect(valueOf(await m.scrape(), 'lethe_outbox_published_total{app="test"}')).toBe(30);
  });

  it('runs samplers at scrape time; a failing or hanging one is counted and the rest still served', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const m = fresh();
      m.onScrape('depth', () => {
        m.jobQueueDepth.set(7);
        return Promise.resolve();
      });
      m.onScrape('broken', () => Promise.reject(new Error('database down')));
      m.onScrape('hangs', () => new Promise<void>(() => undefined));
      const scraping = m.scrape();
      await jest.advanceTimersByTimeAsync(5_000);
      const text = await scraping;
      expect(valueOf(text, 'lethe_job_queue_depth{app="test"}')).toBe(7);
      expect(valueOf(text, 'lethe_metrics_sampler_errors_total{sampler="broken",app="test"}')).toBe(
        1,
      );
      expect(valueOf(text, 'lethe_metrics_sampler_errors_total{sampler="hangs",app="test"}')).toBe(
        1,
      );
    } finally {
      jest.useRealTimers();
    }
  });

  it('exposes the Node.js process metrics by default, in its own registry', async () => {
    const a = new LetheMetrics({ app: 'a' });
    const b = fresh();
    expect(await a.scrape()).toContain('process_cpu_user_seconds_total{app="a"}');
    expect(await b.scrape()).not.toContain('process_cpu_user_seconds_total');
    expect(a.contentType).toContain('text/plain');
  });
});
