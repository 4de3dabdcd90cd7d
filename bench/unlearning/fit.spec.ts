import { fitPowerLaw, fitScale } from './fit';

describe('fits', () => {
  it('recovers an exact power law', () => {
    const xs = [800, 1600, 3200, 6400];
    const f = fitPowerLaw(
      xs,
      xs.map((x) => 3e-9 * x ** 2.7),
    );
    expect(f.k).toBeCloseTo(2.7, 10);
    expect(f.a).toBeCloseTo(3e-9, 15);
    expect(f.r2).toBeCloseTo(1, 12);
    expect(f.predict(26_506)).toBeCloseTo(3e-9 * 26_506 ** 2.7, 3);
  });

  it('has R² < 1 on noisy data and ignores non-positive points', () => {
    const f = fitPowerLaw([1, 2, 4, 8, 0], [1, 4.4, 15, 70, 5]);
    expect(f.r2).toBeLessThan(1);
    expect(f.k).toBeGreaterThan(1.8);
    expect(f.k).toBeLessThan(2.3);
    expect(() => fitPowerLaw([1], [1])).toThrow();
  });

  it('fits a scale through the origin', () => {
    const s = fitScale([1, 2, 3], [2, 16, 54], (x) => x ** 3);
    expect(s.c).toBeCloseTo(2, 10);
    expect(s.predict(10)).toBeCloseTo(2000, 6);
  });
});
