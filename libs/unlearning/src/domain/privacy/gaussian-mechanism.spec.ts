import { isUnlearningError } from '../errors';
import {
  analyticGaussianDelta,
  analyticGaussianEpsilon,
  analyticGaussianSigma,
  calibrateSigma,
  classicGaussianSigma,
  epsilonForSigma,
} from './gaussian-mechanism';

// Independent reference: mpmath (50 digits) bisection on Balle & Wang's exact δ(ε, σ) formula,
//   d = ncdf(Δ/(2σ) − εσ/Δ) − exp(ε)·ncdf(−Δ/(2σ) − εσ/Δ), 300 geometric bisections.
const ANALYTIC: ReadonlyArray<readonly [number, number, number, number]> = [
  // [epsilon, delta, sensitivity, sigma]
  [0.01, 1e-5, 1, 243.78543767567803],
  [0.1, 1e-5, 1, 30.74956613197745],
  [0.5, 1e-5, 1, 7.031826675582491],
  [1, 1e-5, 1, 3.730631634815942],
  [2, 1e-5, 1, 1.9938124456435367],
  [4, 1e-6, 1, 1.1935185871579852],
  [8, 1e-5, 3.5, 2.1008017526963303],
  [20, 1e-5, 1, 0.2900414180327958],
  [1, 1e-10, 40.8, 239.40533218492547],
];

const expectCode = (fn: () => unknown, code: string): void => {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isUnlearningError(caught)).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
};

describe('classic Gaussian mechanism', () => {
  it('is Δ·sqrt(2 ln(1.25/δ))/ε (hand-computed)', () => {
    // ε = 1, δ = 1e-5, Δ = 1: sqrt(2·ln(125000)) = sqrt(2·11.736069016284437) = 4.844805262
    expect(classicGaussianSigma(1, 1e-5, 1)).toBeCloseTo(4.844805262, 8);
    // paper.md §3.6 example: C = 20, M = 1, λ = 1000, λ_min = 0 → Δ = 40.8; ε = 1, δ = 1e-5 → σ ≈ 197.7
    expect(classicGaussianSigma(1, 1e-5, 40.8)).toBeCloseTo(197.668, 2);
    // linear in Δ, inverse in ε
    expect(classicGaussianSigma(0.5, 1e-5, 3)).toBeCloseTo(
      6 * classicGaussianSigma(1, 1e-5, 1),
      12,
    );
  });

  it('refuses ε > 1 and bad parameters with PRIVACY_INVALID_PARAMS', () => {
    expectCode(() => classicGaussianSigma(1.5, 1e-5, 1), 'PRIVACY_INVALID_PARAMS');
    expectCode(() => classicGaussianSigma(0, 1e-5, 1), 'PRIVACY_INVALID_PARAMS');
    expectCode(() => classicGaussianSigma(0.5, 0, 1), 'PRIVACY_INVALID_PARAMS');
    expectCode(() => classicGaussianSigma(0.5, 1, 1), 'PRIVACY_INVALID_PARAMS');
    expectCode(() => classicGaussianSigma(0.5, 1e-5, -1), 'PRIVACY_INVALID_PARAMS');
    expectCode(() => classicGaussianSigma(0.5, 1e-5, NaN), 'PRIVACY_INVALID_PARAMS');
  });
});

describe('analytic Gaussian mechanism (Balle & Wang 2018)', () => {
  it.each(ANALYTIC)('ε=%p δ=%p Δ=%p → σ matches the mpmath reference to 1e-10', (e, d, s, ref) => {
    const sigma = analyticGaussianSigma(e, d, s);
    expect(Math.abs(sigma - ref) / ref).toBeLessThan(1e-10);
  });

  it.each(ANALYTIC)(
    'δ(ε=%p, σ) at the returned σ equals the target δ=%p (1e-9 relative)',
    (e, d, s) => {
      const sigma = analyticGaussianSigma(e, d, s);
      const achieved = analyticGaussianDelta(e, sigma, s);
      expect(achieved).toBeLessThanOrEqual(d); // conservative side of the bracket
      expect(Math.abs(achieved - d) / d).toBeLessThan(1e-9);
    },
  );

  it('is never above the classic σ for ε ≤ 1', () => {
    for (const e of [0.01, 0.1, 0.3, 0.7, 1]) {
      for (const d of [1e-3, 1e-5, 1e-8, 1e-12]) {
        expect(analyticGaussianSigma(e, d, 2)).toBeLessThanOrEqual(classicGaussianSigma(e, d, 2));
      }
    }
  });

  it('is monotone: σ decreases with ε and with δ, and grows linearly with Δ', () => {
    let prev = Infinity;
    for (const e of [0.05, 0.2, 1, 3, 10, 50]) {
      const s = analyticGaussianSigma(e, 1e-5, 1);
      expect(s).toBeLessThan(prev);
      prev = s;
    }
    expect(analyticGaussianSigma(1, 1e-3, 1)).toBeLessThan(analyticGaussianSigma(1, 1e-6, 1));
    expect(analyticGaussianSigma(2, 1e-5, 7)).toBeCloseTo(7 * analyticGaussianSigma(2, 1e-5, 1), 9);
  });

  it('δ(ε, σ) is decreasing in σ and in ε', () => {
    const ds = [0.5, 1, 2, 4, 8].map((s) => analyticGaussianDelta(1, s, 1));
    for (let i = 1; i < ds.length; i++) expect(ds[i]!).toBeLessThan(ds[i - 1]!);
    const de = [0, 0.5, 1, 2, 4].map((e) => analyticGaussianDelta(e, 2, 1));
    for (let i = 1; i < de.length; i++) expect(de[i]!).toBeLessThan(de[i - 1]!);
    // ε = 0: δ = 2Φ(Δ/(2σ)) − 1 = erf(Δ/(2σ√2)); Δ/(2σ) = 1.959963984540054 → 0.95
    expect(analyticGaussianDelta(0, 1 / (2 * 1.959963984540054), 1)).toBeCloseTo(0.95, 12);
  });

  it('stays finite for huge ε (log-space evaluation)', () => {
    const s = analyticGaussianSigma(5000, 1e-5, 1);
    expect(Number.isFinite(s)).toBe(true);
    expect(s).toBeGreaterThan(0);
    const e = analyticGaussianEpsilon(1e-3, 1e-5, 40.8);
    expect(Number.isFinite(e)).toBe(true);
    expect(e).toBeGreaterThan(1e5); // paper.md §3.6: the repo's σ = 1e-3 means a meaningless ε
  });
});

describe('calibrateSigma / epsilonForSigma', () => {
  it('auto picks classic for ε ≤ 1 and analytic for ε > 1', () => {
    expect(calibrateSigma({ epsilon: 1, delta: 1e-5, sensitivity: 1 })).toEqual({
      sigma: classicGaussianSigma(1, 1e-5, 1),
      mechanism: 'classic',
    });
    const two = calibrateSigma({ epsilon: 2, delta: 1e-5, sensitivity: 1 });
    expect(two.mechanism).toBe('analytic');
    expect(two.sigma).toBeCloseTo(1.9938124456435367, 9);
    const forced = calibrateSigma({
      epsilon: 0.5,
      delta: 1e-5,
      sensitivity: 1,
      mechanism: 'analytic',
    });
    expect(forced.mechanism).toBe('analytic');
    expect(forced.sigma).toBeLessThan(classicGaussianSigma(0.5, 1e-5, 1));
    expectCode(
      () => calibrateSigma({ epsilon: 2, delta: 1e-5, sensitivity: 1, mechanism: 'classic' }),
      'PRIVACY_INVALID_PARAMS',
    );
  });

  it.each([
    [1.5, 'auto'],
    [6, 'auto'],
    [0.3, 'analytic'],
    [12, 'analytic'],
    [0.7, 'classic'],
  ] as const)('round-trips σ → ε → σ (ε=%p, %s)', (epsilon, mechanism) => {
    const delta = 1e-6;
    const sensitivity = 2.5;
    const cal = calibrateSigma({ epsilon, delta, sensitivity, mechanism });
    const back = epsilonForSigma({ sigma: cal.sigma, delta, sensitivity, mechanism });
    expect(back.mechanism).toBe(cal.mechanism);
    expect(Math.abs(back.epsilon - epsilon) / epsilon).toBeLessThan(1e-9);
    const again = calibrateSigma({ epsilon: back.epsilon, delta, sensitivity, mechanism });
    expect(Math.abs(again.sigma - cal.sigma) / cal.sigma).toBeLessThan(1e-9);
  });

  it.each([0.05, 0.9, 1])(
    'auto at ε = %p ≤ 1: σ is classic, and ε(σ) reports the smaller (analytic) valid ε',
    (epsilon) => {
      const cal = calibrateSigma({ epsilon, delta: 1e-6, sensitivity: 2.5 });
      expect(cal.mechanism).toBe('classic');
      const back = epsilonForSigma({ sigma: cal.sigma, delta: 1e-6, sensitivity: 2.5 });
      expect(back.epsilon).toBeLessThanOrEqual(epsilon);
      expect(back.epsilon).toBeCloseTo(analyticGaussianEpsilon(cal.sigma, 1e-6, 2.5), 12);
    },
  );

  it('auto ε(σ) is monotone around ε = 1 (less noise never reports less ε)', () => {
    // The old rule (classic whenever it is ≤ 1) gave ε = 1.0 at σ = 4.8448 and 0.752 at σ = 4.84.
    const sigmas = [4.9, 4.8448053, 4.8448, 4.84, 4.8, 4.5, 4, 3.73, 3];
    const eps = sigmas.map(
      (sigma) => epsilonForSigma({ sigma, delta: 1e-5, sensitivity: 1 }).epsilon,
    );
    for (let i = 1; i < eps.length; i++) expect(eps[i]!).toBeGreaterThanOrEqual(eps[i - 1]!);
    expect(eps[3]!).toBeLessThan(1);
  });

  it('epsilonForSigma returns 0 when σ is so large that ε = 0 already meets δ', () => {
    // δ(0, σ) = erf(Δ/(2σ√2)) ≈ Δ/(σ√(2π)) ≤ 1e-5 once σ ≳ 4e4·Δ
    expect(analyticGaussianEpsilon(1e6, 1e-5, 1)).toBe(0);
  });

  it('classic epsilonForSigma refuses a σ that would imply ε > 1', () => {
    expectCode(
      () => epsilonForSigma({ sigma: 1, delta: 1e-5, sensitivity: 1, mechanism: 'classic' }),
      'PRIVACY_INVALID_PARAMS',
    );
    expect(epsilonForSigma({ sigma: 1, delta: 1e-5, sensitivity: 1 }).mechanism).toBe('analytic');
  });
});
