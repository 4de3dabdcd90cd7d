/*
 * Axis arithmetic for the report's charts: "nice" tick steps (1, 2, 5 × 10^k) and a linear map
 * from data to page coordinates. The dashboard's browser script
 * (../dashboard/assets/dashboard.js) gets this module as a generated script
 * (../dashboard/chart-scale.script.ts), so both draw their axes with the same code.
 */

export interface Axis {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
}

/** Ticks covering [min, max] with a 1/2/5 step, about `count` of them; a flat range is widened. */
export const niceAxis = (lo: number, hi: number, count = 5): Axis => {
  let min = Math.min(lo, hi);
  let max = Math.max(lo, hi);
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { min: 0, max: 1, ticks: [0, 1] };
  if (max - min < 1e-12) {
    const pad = Math.abs(max) > 1e-12 ? Math.abs(max) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const first = Math.floor(min / step) * step;
  const last = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = first; t <= last + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { min: first, max: last, ticks };
};

/** Maps [d0, d1] onto [r0, r1]. */
export const linear =
  (d0: number, d1: number, r0: number, r1: number) =>
  (v: number): number =>
    d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);

/** A short number for an axis label or a table: 3 significant digits, exponent when tiny or huge. */
export const shortNumber = (v: number | null | undefined): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Calendar-friendly steps for a time axis. */
const TIME_STEPS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  91 * DAY,
  365 * DAY,
];

/** A time axis (epoch ms) with UTC-aligned ticks (whole hours, days, …), about `count` of them. */
export const timeAxis = (lo: number, hi: number, count = 5): Axis & { readonly step: number } => {
  let min = Math.min(lo, hi);
  let max = Math.max(lo, hi);
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    return { min: 0, max: DAY, ticks: [0, DAY], step: DAY };
  }
  if (max - min < MINUTE) {
    min -= 30 * MINUTE;
    max += 30 * MINUTE;
  }
  const raw = (max - min) / Math.max(1, count);
  const step = TIME_STEPS.find((s) => s >= raw) ?? 365 * DAY;
  const first = Math.floor(min / step) * step;
  const last = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = first; t <= last; t += step) ticks.push(t);
  return { min: first, max: last, ticks, step };
};

/** A tick label: the date when ticks are a day or more apart, else month-day and time (UTC). */
export const timeLabel =
  (step: number) =>
  (t: number): string => {
    const iso = new Date(t).toISOString();
    return step >= DAY ? iso.slice(0, 10) : iso.slice(5, 16).replace('T', ' ');
  };
