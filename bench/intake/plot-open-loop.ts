/**
 * The open-loop latency figure of docs/benchmarks.md (intake, issue 7 §5), drawn from the bench's
 * own rows:
 *   npm run bench:intake:plot
 * Reads the JSON lines that `intake-bench.ts --json FILE` appends (LETHE_PLOT_DATA, default
 * docs/img/intake-open-loop.jsonl) and writes docs/img/intake-open-loop.svg (LETHE_PLOT_OUT):
 * publish → visible latency against the offered rate, p99 solid and p50 dashed, one colour per
 * set-up (tree, variant, linger, pipeline, fsync, partitions, duration), with the aim (p99 < 1 s
 * at 5k events/s) as one point. Burst rows and failed rows are left out; where a file holds the
 * same set-up and rate twice, the later row is drawn.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PALETTE, renderLineChart, type Series } from '../support/svg-plot';
import type { BenchRecord } from './intake-bench';

/** The aim of issue 7 §5: p99 publish → visible under 1 s at 5k events/s offered. */
export const P99_AIM_MS = 1000;
export const AIM_RATE = 5000;

/** Parses the bench's JSON lines (blank lines skipped). */
export function parseRecords(text: string): BenchRecord[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as BenchRecord);
}

/** The open-loop rows that completed. */
const drawable = (records: readonly BenchRecord[]): BenchRecord[] =>
  records.filter((r) => r.mode === 'open-loop' && r.result !== null && r.offered !== null);

/** What tells two rows' set-ups apart, beyond the offered rate; a label part for each. */
const setUp = (r: BenchRecord) =>
  ({
    tree: r.tree,
    variant: /^\d+$/.test(r.variant)
      ? `intake concurrency ${r.variant}`
      : `variant ${r.variant} (concurrency/minBytes/maxWait/linger)`,
    linger: `linger ${r.lingerMs ?? '–'} ms`,
    pipeline: `${r.pipeline} pipeline`,
    fsync: `fsync ${r.fsync ? 'on' : 'off'}`,
    partitions: `${r.partitions} partitions`,
    duration: `${Math.round(r.n / (r.offered ?? 1))} s per rate`,
  }) as const;
type SetUpPart = keyof ReturnType<typeof setUp>;

/**
 * p99 and p50 lines per set-up (tree, variant, linger, pipeline, fsync, partitions, duration: the
 * label names the parts that differ between the rows, the variant always), and the aim as one
 * point at 5k events/s.
 */
export function openLoopSeries(records: readonly BenchRecord[]): Series[] {
  const rows = drawable(records);
  const first = rows[0];
  if (first === undefined) return [];
  const parts = Object.keys(setUp(first)) as SetUpPart[];
  const varying = parts.filter(
    (k) => k === 'variant' || new Set(rows.map((r) => setUp(r)[k])).size > 1,
  );
  const lines = new Map<string, { label: string; byRate: Map<number, BenchRecord> }>();
  for (const r of rows) {
    const key = JSON.stringify(setUp(r));
    const line = lines.get(key) ?? {
      label: varying.map((k) => setUp(r)[k]).join(', '),
      byRate: new Map<number, BenchRecord>(),
    };
    line.byRate.set(r.offered ?? NaN, r); // the later row of a repeated rate wins
    lines.set(key, line);
  }
  const series: Series[] = [];
  let i = 0;
  for (const { label, byRate } of lines.values()) {
    const sorted = [...byRate.values()].sort((a, b) => (a.offered ?? 0) - (b.offered ?? 0));
    const color = PALETTE[i++ % PALETTE.length] as string;
    const at = (q: 'p99' | 'p50') =>
      sorted.map((r): [number, number] => [r.offered ?? NaN, r.result?.[q] ?? NaN]);
    series.push({ name: `${label}: p99`, points: at('p99'), color });
    series.push({ name: `${label}: p50`, points: at('p50'), color, dash: '6 4' });
  }
  series.push({
    name: 'aim: p99 < 1 s at 5k events/s offered',
    points: [[AIM_RATE, P99_AIM_MS]],
    color: '#000000',
    line: false,
    markerSize: 6,
  });
  return series;
}

/** The subtitle: the set-up the rows share (the parts that differ are in the legend). */
export function openLoopSubtitle(records: readonly BenchRecord[]): string {
  const rows = drawable(records);
  const first = rows[0];
  if (first === undefined) return 'no open-loop rows';
  const shared = (['duration', 'fsync', 'partitions', 'pipeline', 'linger'] as const).filter(
    (k) => new Set(rows.map((r) => setUp(r)[k])).size === 1,
  );
  return (
    `${shared.map((k) => setUp(first)[k]).join(', ')}; all on one 2-core machine; ` +
    'p99 solid, p50 dashed'
  );
}

/** The x axis' ticks: the offered rates of the rows. */
export const offeredRates = (records: readonly BenchRecord[]): number[] =>
  [...new Set(drawable(records).map((r) => r.offered ?? NaN))].sort((a, b) => a - b);

function main(): void {
  const root = path.resolve(__dirname, '../..');
  const input = process.env.LETHE_PLOT_DATA ?? path.join(root, 'docs/img/intake-open-loop.jsonl');
  const output = process.env.LETHE_PLOT_OUT ?? path.join(root, 'docs/img/intake-open-loop.svg');
  const records = parseRecords(readFileSync(input, 'utf8'));
  const series = openLoopSeries(records);
  writeFileSync(
    output,
    renderLineChart({
      title: 'Intake: publish → visible latency at a fixed offered rate (open loop)',
      subtitle: openLoopSubtitle(records),
      x: {
        label: 'offered events/s',
        ticks: offeredRates(records),
        format: (v) => v.toLocaleString('en-US'),
      },
      y: {
        label: 'latency (log scale)',
        log: true,
        format: (v) => (v >= 1000 ? `${v / 1000} s` : `${v} ms`),
      },
      series,
      legend: 'below',
      legendColumns: 2,
      width: 860,
      height: 460 + 10 * series.length,
    }),
  );
  console.log(`wrote ${output} (${series.length} series)`);
}

if (require.main === module) main();
