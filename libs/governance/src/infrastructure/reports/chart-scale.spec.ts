import { niceAxis, shortNumber, timeAxis, timeLabel } from './chart-scale';

describe('chart axes', () => {
  it('covers the data with 1/2/5 steps', () => {
    expect(niceAxis(0, 3)).toEqual({ min: 0, max: 3, ticks: [0, 1, 2, 3] });
    expect(niceAxis(0.86, 0.95)).toEqual({
      min: 0.86,
      max: 0.96,
      ticks: [0.86, 0.88, 0.9, 0.92, 0.94, 0.96],
    });
    // A flat series still gets a range around it.
    expect(niceAxis(2, 2).min).toBeLessThan(2);
    expect(niceAxis(2, 2).max).toBeGreaterThan(2);
  });

  it('puts time ticks on whole UTC hours or days', () => {
    const t0 = Date.parse('2026-11-29T11:20:00Z');
    const hours = timeAxis(t0, t0 + 9 * 3_600_000, 4);
    expect(hours.step).toBe(3 * 3_600_000);
    expect(hours.ticks.map(timeLabel(hours.step))).toEqual([
      '11-29 09:00',
      '11-29 12:00',
      '11-29 15:00',
      '11-29 18:00',
      '11-29 21:00',
    ]);
    const days = timeAxis(t0, t0 + 10 * 86_400_000, 5);
    expect(days.step).toBe(2 * 86_400_000);
    expect(days.min).toBeLessThanOrEqual(t0);
    expect(days.max).toBeGreaterThanOrEqual(t0 + 10 * 86_400_000);
    expect(days.ticks.every((t) => t % 86_400_000 === 0)).toBe(true);
    expect(timeLabel(days.step)(days.min)).toMatch(/^2026-11-2\d$/);
  });

  it('writes short numbers', () => {
    expect(shortNumber(1e-5)).toBe('1.00e-5');
    expect(shortNumber(0.24213)).toBe('0.242');
    expect(shortNumber(null)).toBe('—');
  });
});
