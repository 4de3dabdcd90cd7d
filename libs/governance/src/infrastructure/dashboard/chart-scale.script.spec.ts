import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runInNewContext } from 'node:vm';
import * as source from '../reports/chart-scale';
import { chartScaleScript } from './chart-scale.script';

type Scale = typeof source;

/** The served script run as the page runs it: a fresh global object, nothing else defined. */
const served = (): Scale => {
  const page: { LetheChartScale?: Scale } = {};
  runInNewContext(chartScaleScript(), page);
  if (!page.LetheChartScale) throw new Error('the script set no LetheChartScale');
  return page.LetheChartScale;
};

const HOUR = 3_600_000;
const t0 = Date.UTC(2026, 10, 29, 12, 34, 56);

describe('the dashboard chart-scale script is generated from reports/chart-scale.ts', () => {
  const browser = served();
  // Through JSON: the script's arrays belong to another realm, so compare values, not prototypes.
  const same = (a: unknown, b: unknown) =>
    expect(JSON.parse(JSON.stringify(a))).toEqual(JSON.parse(JSON.stringify(b)));

  it('exports the same functions', () => {
    expect(Object.keys(browser).sort()).toEqual(Object.keys(source).sort());
  });

  it.each([
    [0, 1, 5],
    [0.93, 0.97, 5],
    [-3, 250, 4],
    [7, 7, 5],
    [0, 0, 5],
    [1e-7, 3e-6, 5],
    [12, 1e6, 4],
    [Number.NaN, 1, 5],
  ])('niceAxis(%p, %p, %p) agrees', (lo, hi, count) => {
    same(browser.niceAxis(lo, hi, count), source.niceAxis(lo, hi, count));
  });

  it.each([
    [t0, t0, 4],
    [t0, t0 + 2 * HOUR, 4],
    [t0 - 3 * 24 * HOUR, t0, 4],
    [t0 - 400 * 24 * HOUR, t0, 4],
    [t0, Number.POSITIVE_INFINITY, 4],
  ])('timeAxis(%p, %p, %p) and its labels agree', (lo, hi, count) => {
    const a = browser.timeAxis(lo, hi, count);
    const b = source.timeAxis(lo, hi, count);
    same(a, b);
    expect(b.ticks.map(browser.timeLabel(a.step))).toEqual(b.ticks.map(source.timeLabel(b.step)));
  });

  it('shortNumber and linear agree', () => {
    for (const v of [null, undefined, Number.NaN, 0, 1, -0.5, 0.000123, 1234.5678, 2.5e7, 1 / 3])
      expect(browser.shortNumber(v)).toBe(source.shortNumber(v));
    const [f, g] = [browser.linear(0, 10, 56, 624), source.linear(0, 10, 56, 624)];
    for (const v of [-1, 0, 2.5, 10, 11]) expect(f(v)).toBe(g(v));
    expect(browser.linear(3, 3, 0, 10)(3)).toBe(source.linear(3, 3, 0, 10)(3));
  });

  it('dashboard.js has no axis arithmetic of its own: it reads LetheChartScale', () => {
    const page = readFileSync(path.join(__dirname, 'assets', 'dashboard.js'), 'utf8');
    expect(page).toContain('globalThis.LetheChartScale');
    expect(page).not.toMatch(/function (niceAxis|timeAxis)\b|TIME_STEPS|toPrecision|toExponential/);
    const html = readFileSync(path.join(__dirname, 'assets', 'index.html'), 'utf8');
    expect(html.indexOf('/dashboard/chart-scale.js')).toBeGreaterThan(-1);
    expect(html.indexOf('/dashboard/chart-scale.js')).toBeLessThan(
      html.indexOf('/dashboard/dashboard.js'),
    );
  });
});
