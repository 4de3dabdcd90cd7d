import type { BenchRecord } from './intake-bench';
import {
  AIM_RATE,
  offeredRates,
  openLoopSeries,
  openLoopSubtitle,
  P99_AIM_MS,
  parseRecords,
} from './plot-open-loop';

/** A row as `intake-bench.ts --json` writes it; only the fields the plot reads vary. */
const row = (over: {
  offered: number | null;
  concurrency?: number;
  tree?: string;
  p50?: number;
  p99?: number;
  failed?: boolean;
  fsync?: boolean;
  variant?: string;
}): BenchRecord => {
  const concurrency = over.concurrency ?? 4;
  const n = (over.offered ?? 1000) * 60;
  return {
    tree: over.tree ?? 'abc1234',
    mode: over.offered === null ? 'burst' : 'open-loop',
    pipeline: 'intake',
    partitions: 4,
    fsync: over.fsync ?? true,
    variant: over.variant ?? String(concurrency),
    concurrency,
    lingerMs: over.offered === null ? null : 5,
    offered: over.offered,
    n,
    result: over.failed
      ? null
      : {
          n,
          seconds: 60,
          offered: over.offered,
          publisher: null,
          resolvedS: null,
          relayedS: null,
          eventsPerSecond: n / 60,
          p50: over.p50 ?? 10,
          p99: over.p99 ?? 100,
          max: 200,
          cpu: {
            mainThreadBusy: 0.5,
            mainThreadCpuS: 1,
            nodeCpuS: 2,
            publisherCpuS: 1,
            pollerCpuS: 0.1,
            postgresCpuS: 2,
            kafkaCpuS: 1,
            loadAvg: 2,
          },
        },
    ...(over.failed ? { error: 'only 1/2 visible' } : {}),
    at: '2026-11-30T15:00:00.000Z',
  };
};

describe('the open-loop latency plot is drawn from the bench rows', () => {
  it('one p99 line and one dashed p50 line per concurrency, sorted by offered rate, and the aim as one point at 5k/s', () => {
    const series = openLoopSeries([
      row({ offered: 5000, concurrency: 1, p50: 3000, p99: 9000 }),
      row({ offered: 1000, concurrency: 1, p50: 90, p99: 800 }),
      row({ offered: 1000, concurrency: 4, p50: 30, p99: 85 }),
      row({ offered: 5000, concurrency: 4, p50: 40, p99: 300 }),
    ]);
    expect(series.map((s) => s.name)).toEqual([
      'intake concurrency 1: p99',
      'intake concurrency 1: p50',
      'intake concurrency 4: p99',
      'intake concurrency 4: p50',
      'aim: p99 < 1 s at 5k events/s offered',
    ]);
    expect(series[0]?.points).toEqual([
      [1000, 800],
      [5000, 9000],
    ]);
    expect(series[1]).toMatchObject({ dash: '6 4', color: series[0]?.color });
    expect(series[2]?.color).not.toBe(series[0]?.color);
    expect(series[4]).toMatchObject({ points: [[AIM_RATE, P99_AIM_MS]], line: false });
  });

  it('leaves out burst rows and failed rows; a repeated rate draws its later row; two trees are told apart', () => {
    const series = openLoopSeries([
      row({ offered: null, p99: 5 }),
      row({ offered: 2000, p99: 111 }),
      row({ offered: 2000, p99: 222 }),
      row({ offered: 8000, failed: true }),
      row({ offered: 2000, tree: 'def5678', p99: 333 }),
    ]);
    expect(series.map((s) => s.name)).toEqual([
      'abc1234, intake concurrency 4: p99',
      'abc1234, intake concurrency 4: p50',
      'def5678, intake concurrency 4: p99',
      'def5678, intake concurrency 4: p50',
      'aim: p99 < 1 s at 5k events/s offered',
    ]);
    expect(series[0]?.points).toEqual([[2000, 222]]);
    expect(series[2]?.points).toEqual([[2000, 333]]);
  });

  it('rows of different set-ups are never merged: the legend names what differs, the subtitle what is shared', () => {
    const records = [
      row({ offered: 1000, fsync: true }),
      row({ offered: 1000, fsync: false }),
      row({ offered: 2000, variant: '4/65536/50' }),
    ];
    expect(openLoopSeries(records).map((s) => s.name)).toEqual([
      'intake concurrency 4, fsync on: p99',
      'intake concurrency 4, fsync on: p50',
      'intake concurrency 4, fsync off: p99',
      'intake concurrency 4, fsync off: p50',
      'variant 4/65536/50 (concurrency/minBytes/maxWait/linger), fsync on: p99',
      'variant 4/65536/50 (concurrency/minBytes/maxWait/linger), fsync on: p50',
      'aim: p99 < 1 s at 5k events/s offered',
    ]);
    expect(openLoopSubtitle(records)).toMatch(
      /^60 s per rate, 4 partitions, intake pipeline, linger 5 ms;/,
    );
    expect(openLoopSubtitle(records)).not.toMatch(/fsync/);
    expect(offeredRates(records)).toEqual([1000, 2000]);
    expect(openLoopSeries([row({ offered: null })])).toEqual([]);
  });

  it('reads the JSON lines the bench appends, skipping blank lines', () => {
    const text = `${JSON.stringify(row({ offered: 1000 }))}\n\n${JSON.stringify(row({ offered: 2000 }))}\n`;
    expect(parseRecords(text).map((r) => r.offered)).toEqual([1000, 2000]);
  });
});
