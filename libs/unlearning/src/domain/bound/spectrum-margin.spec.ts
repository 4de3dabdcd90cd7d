import { isUnlearningError } from '../errors';
import { lambdaMinLowerBound, lanczosMargin, ROUNDING_FACTOR } from './spectrum-margin';

describe('lanczosMargin (Kuczyński–Woźniakowski)', () => {
  it('reproduces the audit: p = 26,506, one-sided ρ = 0.1 → η ≈ 7.4 % (k = 15), 4.1 % (20), 1.8 % (30)', () => {
    // The margin is two-sided (λ_min and λ_max), so a total ρ = 0.2 is one-sided 0.1 per end.
    const eta = (k: number) =>
      lanczosMargin({ iterations: k, dimension: 26_506, failureProbability: 0.2 }).eta;
    expect(eta(15)).toBeCloseTo(0.0741, 3);
    expect(eta(20)).toBeCloseTo(0.0412, 3);
    expect(eta(30)).toBeCloseTo(0.0179, 3); // the audit rounds it to 1.8 %
  });

  it('√η = ln(2·1.648·√p/ρ)/(2k−1) and factor = η/(1−2η)', () => {
    const m = lanczosMargin({ iterations: 50, dimension: 10_000, failureProbability: 1e-6 });
    const sqrtEta = Math.log((2 * 1.648 * 100) / 1e-6) / 99;
    expect(m.eta).toBeCloseTo(sqrtEta * sqrtEta, 14);
    expect(m.factor).toBeCloseTo(m.eta / (1 - 2 * m.eta), 14);
  });

  it('the margin shrinks as k grows and grows as ρ shrinks', () => {
    const f = (k: number, rho: number) =>
      lanczosMargin({ iterations: k, dimension: 26_506, failureProbability: rho }).factor;
    expect(f(60, 1e-6)).toBeLessThan(f(30, 1e-6));
    expect(f(30, 1e-9)).toBeGreaterThan(f(30, 1e-6));
  });

  it('refuses too few iterations (η ≥ 1/2) and bad inputs; k ≥ p leaves only a rounding allowance', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isUnlearningError(e) ? e.code : 'other';
      }
      return undefined;
    };
    expect(
      code(() => lanczosMargin({ iterations: 5, dimension: 26_506, failureProbability: 1e-6 })),
    ).toBe('BOUND_INVALID_INPUT');
    expect(
      code(() => lanczosMargin({ iterations: 30, dimension: 100, failureProbability: 1 })),
    ).toBe('BOUND_INVALID_INPUT');
    const full = lanczosMargin({ iterations: 12, dimension: 12, failureProbability: 1e-6 });
    expect(full.eta).toBe(0);
    expect(full.factor).toBe(ROUNDING_FACTOR);
  });

  it('lambdaMinLowerBound widens θ_min by factor·(θ_max − θ_min)', () => {
    const m = lanczosMargin({ iterations: 30, dimension: 26_506, failureProbability: 1e-6 });
    expect(lambdaMinLowerBound({ min: -1, max: 9 }, m)).toBeCloseTo(-1 - 10 * m.factor, 14);
  });
});
