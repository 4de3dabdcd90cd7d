import { erf, erfc, erfcx, logNormalCdf, normalCdf } from './normal';

// Reference values: mpmath 1.3.0 at 50 significant digits, rounded to float64
// (python3: from mpmath import mp, erfc; mp.dps = 50; float(erfc(mpf(x)))).
const ERFC: ReadonlyArray<readonly [number, number]> = [
  [-30, 2.0],
  [-10, 2.0],
  [-5, 1.9999999999984626],
  [-3.5, 1.9999992569016276],
  [-2, 1.9953222650189528],
  [-1, 1.8427007929497148],
  [-0.5, 1.5204998778130465],
  [-0.46875, 1.492613473217938],
  [-0.3, 1.3286267594591274],
  [-1e-10, 1.000000000112838],
  [0, 1.0],
  [1e-9, 0.9999999988716208],
  [0.1, 0.887537083981715],
  [0.46875, 0.507386526782062],
  [0.47, 0.5062549491139179],
  [0.9, 0.20309178757716786],
  [1.5, 0.033894853524689274],
  [2.5, 0.0004069520174449589],
  [3.99, 1.6739211364520814e-8],
  [4, 1.541725790028002e-8],
  [4.01, 1.4196939421371052e-8],
  [6, 2.1519736712498913e-17],
  [10, 2.088487583762545e-45],
  [15, 7.212994172451207e-100],
  [26, 5.663192408856143e-296],
  [26.5, 2.2109076642637343e-307],
];
const ERFCX: ReadonlyArray<readonly [number, number]> = [
  [0.1, 0.8964569799691267],
  [0.47, 0.6314005166600343],
  [1, 0.427583576155807],
  [3, 0.17900115118138996],
  [4.5, 0.12248480427384142],
  [10, 0.05614099274382259],
  [100, 0.005641613782989433],
  [1e4, 5.641895807268084e-5],
  [-0.3, 1.4537492328427655],
  [-2, 108.94090438997797],
  [-5, 144009798674.66104],
];
const LOG_PHI: ReadonlyArray<readonly [number, number]> = [
  [-1e4, -50000010.12927891],
  [-1000, -500007.82669481216],
  [-100, -5005.524208694205],
  [-40, -804.6084420137538],
  [-38, -726.5572160188201],
  [-10, -53.23128515051247],
  [-3, -6.607726221510349],
  [-0.5, -1.1759117615936185],
  [0, -0.6931471805599453],
  [1, -0.17275377902344988],
  [5, -2.866516129637636e-7],
  [9, -1.1285884059538405e-19],
];

const rel = (a: number, b: number): number =>
  b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);

describe('normal: erfc / erfcx / Φ (Cody 1969)', () => {
  it.each(ERFC)('erfc(%p) to 1e-14 relative', (x, ref) => {
    expect(rel(erfc(x), ref)).toBeLessThan(1e-14);
  });

  it.each(ERFCX)('erfcx(%p) to 1e-14 relative', (x, ref) => {
    expect(rel(erfcx(x), ref)).toBeLessThan(1e-14);
  });

  it.each(LOG_PHI)('ln Φ(%p) to 1e-13 relative', (x, ref) => {
    expect(rel(logNormalCdf(x), ref)).toBeLessThan(1e-13);
  });

  it('satisfies erf + erfc = 1, odd symmetry and Φ(x) + Φ(−x) = 1', () => {
    for (let x = -6; x <= 6; x += 0.173) {
      expect(erf(x) + erfc(x)).toBeCloseTo(1, 15);
      expect(erf(-x)).toBeCloseTo(-erf(x), 15);
      expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 15);
    }
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 15);
  });

  it('is monotone across the interval boundaries 0.46875 and 4', () => {
    for (const b of [0.46875, 4]) {
      const xs = [b - 1e-12, b, b + 1e-12];
      const ys = xs.map(erfc);
      expect(ys[0]!).toBeGreaterThanOrEqual(ys[1]!);
      expect(ys[1]!).toBeGreaterThanOrEqual(ys[2]!);
    }
  });
});
