/**
 * The accuracy-against-ε figure of docs/benchmarks.md, drawn from data only:
 *   npm run bench:unlearning:plot
 * Reads docs/img/accuracy-vs-epsilon.json (LETHE_PLOT_DATA) and writes
 * docs/img/accuracy-vs-epsilon.svg (LETHE_PLOT_OUT). Each bench that measures a method writes or
 * replaces its own series there by key (convex-newton.bench.ts does; newton-lissa's points are
 * copied from docs/benchmarks.md (d); sisa.bench.ts writes sisa-shard's, one per k). A certified
 * series is a line over ε; an exact method (ε = 0) is a single measured point, which has no place
 * on a log axis: it is drawn as a dashed horizontal reference at its accuracy, marked at both ends,
 * and its legend says "exact, ε = 0" with the accuracy.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PALETTE, renderLineChart, type Series } from '../support/svg-plot';

export interface PlotSeries {
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

/**
 * Writes `series` into the data file, replacing the series with the same keys and those `owned`
 * says belong to the writer; the other benches' series stay as they are.
 */
export function mergePlotSeries(
  file: string,
  series: readonly PlotSeries[],
  owned: (key: string) => boolean = () => false,
): void {
  const doc = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { series: PlotSeries[] })
    : { series: [] as PlotSeries[] };
  const keys = new Set(series.map((s) => s.key));
  const kept = doc.series.filter((s) => !keys.has(s.key) && !owned(s.key));
  writeFileSync(file, `${JSON.stringify({ ...doc, series: [...kept, ...series] }, null, 2)}\n`);
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
        name: `${s.label.replace(/ \(exact\)$/, '')}: exact, ε = 0, accuracy ${y.toFixed(3)}`,
        points: [
          [lo, y],
          [hi, y],
        ],
        color,
        dash: '6 4',
        markers: true,
      };
    }
    return { name: `${s.label}, certified`, points: s.points.map(([e, a]) => [e, a]), color };
  });
}

/** The series with a point inside `range` (to draw), and the names of the others (to say so). */
export function withinRange(
  series: readonly Series[],
  [lo, hi]: readonly [number, number],
): { readonly shown: Series[]; readonly hidden: string[] } {
  const isIn = (s: Series) => s.points.some(([, y]) => y >= lo && y <= hi);
  return {
    shown: series.filter(isIn),
    hidden: series.filter((s) => !isIn(s)).map((s) => s.name),
  };
}

/** The zoomed figure's accuracy range: where every useful release lies. */
const ZOOM: readonly [number, number] = [0.78, 0.96];

function main(): void {
  const root = path.resolve(__dirname, '../..');
  const input = process.env.LETHE_PLOT_DATA ?? path.join(root, 'docs/img/accuracy-vs-epsilon.json');
  const output = process.env.LETHE_PLOT_OUT ?? path.join(root, 'docs/img/accuracy-vs-epsilon.svg');
  const data = JSON.parse(readFileSync(input, 'utf8')) as PlotData;
  const series = accuracySeries(data);
  const chart = (title: string, subtitle: string, range: readonly [number, number], s: Series[]) =>
    renderLineChart({
      title,
      subtitle,
      x: { label: 'ε per release (log scale)', log: true },
      y: { label: 'test accuracy', range },
      series: s,
      legend: 'below',
      legendColumns: 1,
      width: 860,
      height: 420 + 20 * s.length,
    });
  const title = data.title ?? 'Test accuracy against ε';
  writeFileSync(
    output,
    chart(
      title,
      'certified methods: solid lines over ε; exact methods (ε = 0, no place on a log axis): ' +
        'dashed references at their accuracy',
      [0, 1],
      series,
    ),
  );
  console.log(`wrote ${output} (${data.series.length} series)`);
  // The same data between 0.78 and 0.96, where the useful releases crowd together.
  const zoomOut = output.replace(/\.svg$/, '-zoom.svg');
  const { shown, hidden } = withinRange(series, ZOOM);
  writeFileSync(
    zoomOut,
    chart(
      `${title}, accuracy ${ZOOM[0]}–${ZOOM[1]}`,
      hidden.length > 0
        ? `not shown (below ${ZOOM[0]} at every ε): ${hidden.map((n) => n.split(' (')[0]).join(', ')}`
        : 'every series is in range',
      ZOOM,
      shown,
    ),
  );
  console.log(`wrote ${zoomOut} (${shown.length} series)`);
}

if (require.main === module) main();
