/**
 * The open-loop latency figure of docs/benchmarks.md (intake, issue 7 §5), drawn from the bench's
 * own rows:
 *   npm run bench:intake:plot
 * Reads the JSON lines that `intake-bench.ts --json FILE` appends (LETHE_PLOT_DATA, default
 * docs/img/intake-open-loop.jsonl) and writes docs/img/intake-open-loop.svg (LETHE_PLOT_OUT):
 * publish → visible latency against the offered rate, p99 solid and p50 dashed, one colour per
 * tree and intake concurrency, with the aim (p99 < 1 s) as a dashed reference. Burst rows and
 * failed rows are left out; where a file holds the same (tree, concurrency, linger, rate) twice,
 * the later row is drawn.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PALETTE, renderLineChart, type Series } from '../support/svg-plot';
import type { BenchRecord } from './intake-bench';

/** The aim of issue 7 §5: p99 publish → visible under 1 s at 5k events/s offered. */
export const P99_AIM_MS = 1000;

/** Parses the bench's JSON lines (blank lines skipped). */
export function parseRecords(text: string): BenchRecord[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as BenchRecord);
}

/** p99 and p50 lines per (tree, concurrency, linger), and the aim across the offered range. */
export function openLoopSeries(records: readonly BenchRecord[]): Series[] {
  const rows = new Map<string, Map<number, BenchRecord>>();
  for (const r of records) {
    if (r.mode !== 'open-loop' || r.result === null || r.offered === null) continue;
    const key = `${r.tree}\u0000${r.variant}\u0000${r.lingerMs ?? ''}`;
    const byRate = rows.get(key) ?? new Map<number, BenchRecord>();
    byRate.set(r.offered, r); // the later row of a repeated rate wins
    rows.set(key, byRate);
  }
  const trees = new Set([...rows.keys()].map((k) => k.split('\u0000')[0]));
  const lingers = new Set([...rows.keys()].map((k) => k.split('\u0000')[2]));
  const series: Series[] = [];
  let i = 0;
  for (const [key, byRate] of rows) {
    const [tree, variant, linger] = key.split('\u0000');
    const label =
      `intake concurrency ${variant}` +
      (trees.size > 1 ? `, ${tree}` : '') +
      (lingers.size > 1 ? `, linger ${linger} ms` : '');
    const sorted = [...byRate.values()].sort((a, b) => (a.offered ?? 0) - (b.offered ?? 0));
    const color = PALETTE[i++ % PALETTE.length] as string;
    const at = (q: 'p99' | 'p50') =>
      sorted.map((r): [number, number] => [r.offered ?? NaN, r.result?.[q] ?? NaN]);
    series.push({ name: `${label}: p99`, points: at('p99'), color });
    series.push({ name: `${label}: p50`, points: at('p50'), color, dash: '6 4' });
  }
  const rates = series.flatMap((s) => s.points.map(([x]) => x));
  if (rates.length > 0) {
    series.push({
      name: 'aim: p99 < 1 s',
      points: [
        [Math.min(...rates), P99_AIM_MS],
        [Math.max(...rates), P99_AIM_MS],
      ],
      color: '#000000',
      dash: '3 3',
      markers: false,
    });
  }
  return series;
}

function main(): void {
  const root = path.resolve(__dirname, '../..');
  const input = process.env.LETHE_PLOT_DATA ?? path.join(root, 'docs/img/intake-open-loop.jsonl');
  const output = process.env.LETHE_PLOT_OUT ?? path.join(root, 'docs/img/intake-open-loop.svg');
  const records = parseRecords(readFileSync(input, 'utf8'));
  const series = openLoopSeries(records);
  const first = records.find((r) => r.mode === 'open-loop');
  const seconds = first ? Math.round(first.n / (first.offered ?? 1)) : NaN;
  writeFileSync(
    output,
    renderLineChart({
      title: 'Intake: publish → visible latency at a fixed offered rate (open loop)',
      subtitle:
        `${seconds} s per rate, fsync on, ${first?.partitions ?? '?'} partitions, ` +
        'PostgreSQL, Kafka, publisher and service on one 2-core machine; p99 solid, p50 dashed',
      x: { label: 'offered events/s' },
      y: { label: 'latency, ms (log scale)', log: true },
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
