/**
 * A small hand-written SVG line chart for benchmark figures (no plotting package): axes with
 * ticks and grid, linear or log-scale x and y, polylines with markers, dashed reference lines
 * and a legend. Output is a standalone SVG 1.1 string.
 */

export interface Series {
  readonly name: string;
  /** [x, y] points; points with a non-finite coordinate (or x <= 0 on a log axis) are skipped. */
  readonly points: readonly (readonly [number, number])[];
  readonly color?: string;
  /** SVG stroke-dasharray, e.g. '6 4'; solid when omitted. */
  readonly dash?: string;
  /** Draw a marker at every point (default true). */
  readonly markers?: boolean;
  /** Join the points with a line (default true); false gives a scatter. */
  readonly line?: boolean;
  readonly width?: number;
  /** Marker radius in px (default 3.2). */
  readonly markerSize?: number;
}

export interface AxisSpec {
  readonly label: string;
  readonly log?: boolean;
  /** Range [min, max]; default: from the data (log axes snap to whole decades). */
  readonly range?: readonly [number, number];
  /** Explicit tick values (default: decades on a log axis, ~6 round values on a linear one). */
  readonly ticks?: readonly number[];
  readonly format?: (v: number) => string;
}

export interface LineChart {
  readonly title: string;
  readonly subtitle?: string;
  readonly x: AxisSpec;
  readonly y: AxisSpec;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  /** Legend placement: to the right of the plot (default) or below it. */
  readonly legend?: 'right' | 'below';
  /** Columns of a legend below the plot (default 3). */
  readonly legendColumns?: number;
}

/** A colour-blind-safe palette (Okabe–Ito, then Tol's muted). */
export const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#332288',
  '#882255',
  '#999933',
  '#000000',
] as const;

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const r2 = (v: number): string => (Math.round(v * 100) / 100).toString();

/** Round ticks for a linear range: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function linearTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}

/** Decade ticks 10^k covering [min, max] (min > 0). */
export function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(min)); k <= Math.ceil(Math.log10(max)); k++) {
    const v = Math.pow(10, k);
    if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
  }
  return out;
}

/** Compact tick label: 0.001, 0.5, 10, 1e5. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) {
    const k = Math.round(Math.log10(a));
    if (Math.abs(a - Math.pow(10, k)) < 1e-9 * a) return `${v < 0 ? '-' : ''}1e${k}`;
    return v.toExponential(1);
  }
  return Number(v.toPrecision(4)).toString();
}

const usable = (p: readonly [number, number], xLog: boolean, yLog: boolean): boolean =>
  Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!xLog || p[0] > 0) && (!yLog || p[1] > 0);

function axisRange(axis: AxisSpec, values: number[]): [number, number] {
  if (axis.range) return [axis.range[0], axis.range[1]];
  if (values.length === 0) return axis.log ? [1, 10] : [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (axis.log) {
    lo = Math.pow(10, Math.floor(Math.log10(lo)));
    hi = Math.pow(10, Math.ceil(Math.log10(hi)));
    if (hi <= lo) hi = lo * 10;
    return [lo, hi];
  }
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const pad = 0.05 * (hi - lo);
  return [lo - pad, hi + pad];
}

/** Renders the chart as a standalone SVG document. */
export function renderLineChart(chart: LineChart): string {
  const W = chart.width ?? 900;
  const H = chart.height ?? 540;
  const legendRight = (chart.legend ?? 'right') === 'right';
  // Legend column sized to the longest name (≈ 6.6 px per character at 12 px).
  const longest = Math.max(0, ...chart.series.map((s) => s.name.length));
  const legendW = legendRight ? Math.min(460, Math.max(160, 52 + 6.6 * longest)) : 0;
  const legendColumns = Math.max(1, chart.legendColumns ?? 3);
  const legendRows = legendRight ? 0 : Math.ceil(chart.series.length / legendColumns);
  const m = {
    left: 78,
    right: 20 + legendW,
    top: chart.subtitle ? 62 : 46,
    bottom: 58 + legendRows * 20,
  };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xLog = chart.x.log === true;
  const yLog = chart.y.log === true;
  const pts = chart.series.flatMap((s) => s.points.filter((p) => usable(p, xLog, yLog)));
  const [x0, x1] = axisRange(
    chart.x,
    pts.map((p) => p[0]),
  );
  const [y0, y1] = axisRange(
    chart.y,
    pts.map((p) => p[1]),
  );
  const t = (v: number, lo: number, hi: number, log: boolean): number =>
    log
      ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
      : (v - lo) / (hi - lo);
  const sx = (v: number): number => m.left + t(v, x0, x1, xLog) * pw;
  const sy = (v: number): number => m.top + (1 - t(v, y0, y1, yLog)) * ph;
  const inside = (p: readonly [number, number]): boolean =>
    p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="13">`,
  );
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="17" font-weight="bold">${esc(chart.title)}</text>`,
  );
  if (chart.subtitle) {
    out.push(
      `<text x="${W / 2}" y="44" text-anchor="middle" font-size="12" fill="#444">${esc(chart.subtitle)}</text>`,
    );
  }

  // Grid and ticks.
  const fx = chart.x.format ?? formatTick;
  const fy = chart.y.format ?? formatTick;
  const xTicks = (chart.x.ticks ?? (xLog ? logTicks(x0, x1) : linearTicks(x0, x1))).filter(
    (v) => v >= x0 && v <= x1,
  );
  const yTicks = (chart.y.ticks ?? (yLog ? logTicks(y0, y1) : linearTicks(y0, y1))).filter(
    (v) => v >= y0 && v <= y1,
  );
  out.push('<g stroke="#e3e3e3" stroke-width="1">');
  for (const v of xTicks)
    out.push(`<line x1="${r2(sx(v))}" y1="${m.top}" x2="${r2(sx(v))}" y2="${m.top + ph}"/>`);
  for (const v of yTicks)
    out.push(`<line x1="${m.left}" y1="${r2(sy(v))}" x2="${m.left + pw}" y2="${r2(sy(v))}"/>`);
  out.push('</g>');
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333" stroke-width="1.2"/>`,
  );
  out.push('<g fill="#222">');
  for (const v of xTicks) {
    out.push(
      `<line x1="${r2(sx(v))}" y1="${m.top + ph}" x2="${r2(sx(v))}" y2="${m.top + ph + 5}" stroke="#333"/>`,
    );
    out.push(
      `<text x="${r2(sx(v))}" y="${m.top + ph + 20}" text-anchor="middle">${esc(fx(v))}</text>`,
    );
  }
  for (const v of yTicks) {
    out.push(
      `<line x1="${m.left - 5}" y1="${r2(sy(v))}" x2="${m.left}" y2="${r2(sy(v))}" stroke="#333"/>`,
    );
    out.push(`<text x="${m.left - 9}" y="${r2(sy(v) + 4)}" text-anchor="end">${esc(fy(v))}</text>`);
  }
  out.push('</g>');
  out.push(
    `<text x="${m.left + pw / 2}" y="${m.top + ph + 42}" text-anchor="middle" font-size="14">${esc(chart.x.label)}</text>`,
  );
  out.push(
    `<text x="20" y="${m.top + ph / 2}" text-anchor="middle" font-size="14" ` +
      `transform="rotate(-90 20 ${m.top + ph / 2})">${esc(chart.y.label)}</text>`,
  );

  // Series, clipped to the plot area.
  out.push(
    `<defs><clipPath id="plot"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`,
  );
  out.push('<g clip-path="url(#plot)">');
  chart.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const ps = s.points.filter((p) => usable(p, xLog, yLog));
    if (ps.length === 0) return;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    const d = ps.map((p) => `${r2(sx(p[0]))},${r2(sy(p[1]))}`).join(' ');
    if (s.line ?? true) {
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="${s.width ?? 2}"${dash} points="${d}"/>`,
      );
    }
    if (s.markers ?? true) {
      for (const p of ps.filter(inside)) {
        out.push(
          `<circle cx="${r2(sx(p[0]))}" cy="${r2(sy(p[1]))}" r="${s.markerSize ?? 3.2}" fill="${color}" stroke="#fff" stroke-width="0.8"/>`,
        );
      }
    }
  });
  out.push('</g>');

  // Legend.
  const legendItem = (s: Series, i: number, lx: number, ly: number): void => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    if (s.line ?? true) {
      out.push(
        `<line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="${color}" stroke-width="${s.width ?? 2}"${dash}/>`,
      );
    }
    if (s.markers ?? true) out.push(`<circle cx="${lx + 13}" cy="${ly}" r="3.2" fill="${color}"/>`);
    out.push(`<text x="${lx + 33}" y="${ly + 4}" font-size="12">${esc(s.name)}</text>`);
  };
  if (legendRight) {
    const lx = m.left + pw + 16;
    chart.series.forEach((s, i) => legendItem(s, i, lx, m.top + 10 + i * 21));
  } else {
    const colW = pw / legendColumns;
    chart.series.forEach((s, i) =>
      legendItem(
        s,
        i,
        m.left + (i % legendColumns) * colW,
        m.top + ph + 62 + Math.floor(i / legendColumns) * 20,
      ),
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
