/**
 * The accuracy-against-ε figure of docs/benchmarks.md, drawn from data only:
 *   npm run bench:unlearning:plot
 * Reads docs/img/accuracy-vs-epsilon.json (LETHE_PLOT_DATA) and writes
 * docs/img/accuracy-vs-epsilon.svg (LETHE_PLOT_OUT). Each bench that measures a method writes or
 * replaces its own series there by key (convex-newton.bench.ts does; newton-lissa's points are
 * copied from docs/benchmarks.md (d); sisa-shard's come from its own bench). A certified series is
 * a line over ε; an exact method (ε = 0) is a single point, drawn as a dashed horizontal line
 * labelled "ε = 0" because ε = 0 has no place on a log axis.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PALETTE, renderLineChart, type Series } from '../support/svg-plot';

interface PlotSeries {
  readonly key: string;
  readonly label: string;
  readonly guarantee: 'certified' | 'exact';
  readonly source?: string;
  readonly points: readonly (readonly [number, number])[];
}

interface PlotData {
  readonly title?: string;
  readonly series: readonly PlotSeries[];
}

/** The chart's series: certified ones as lines, exact ones as dashed lines across the ε range. */
export function accuracySeries(data: PlotData): Series[] {
  const eps = data.series
    .filter((s) => s.guarantee === 'certified')
    .flatMap((s) => s.points.map(([e]) => e))
    .filter((e) => e > 0);
  const lo = eps.length > 0 ? Math.min(...eps) : 0.1;
  const hi = eps.length > 0 ? Math.max(...eps) : 100;
  return data.series.map((s, i): Series => {
    const color = PALETTE[i % PALETTE.length] as string;
    if (s.guarantee === 'exact') {
      const y = s.points[0]?.[1] ?? NaN;
      return {
        name: `${s.label}, ε = 0`,
        points: [
          [lo, y],
          [hi, y],
        ],
        color,
        dash: '6 4',
        markers: false,
      };
    }
    return { name: `${s.label}, certified`, points: s.points.map(([e, a]) => [e, a]), color };
  });
}

function main(): void {
  const root = path.resolve(__dirname, '../..');
  const input = process.env.LETHE_PLOT_DATA ?? path.join(root, 'docs/img/accuracy-vs-epsilon.json');
  const output = process.env.LETHE_PLOT_OUT ?? path.join(root, 'docs/img/accuracy-vs-epsilon.svg');
  const data = JSON.parse(readFileSync(input, 'utf8')) as PlotData;
  const svg = renderLineChart({
    title: data.title ?? 'Test accuracy against ε',
    subtitle: 'certified methods: lines over ε; exact methods (ε = 0): dashed',
    x: { label: 'ε per release (log scale)', log: true },
    y: { label: 'test accuracy', range: [0, 1] },
    series: accuracySeries(data),
    legend: 'below',
    width: 760,
    height: 520,
  });
  writeFileSync(output, svg);
  console.log(`wrote ${output} (${data.series.length} series)`);
}

if (require.main === module) main();
