import { isUnlearningError } from '../errors';
import {
  checkBudget,
  cumulativeGuarantee,
  emptyLedger,
  recordRelease,
  resetLedger,
  spend,
  type GaussianRelease,
} from './accountant';
import { analyticGaussianSigma } from './gaussian-mechanism';

// σ of the analytic mechanism for ε = 1, δ = 1e-5, Δ = 1 (mpmath reference 3.730631634815942).
const sigma1 = analyticGaussianSigma(1, 1e-5, 1);
const release: GaussianRelease = {
  kind: 'gaussian',
  sigma: sigma1,
  sensitivity: 1,
  epsilon: 1,
  delta: 1e-5,
};

describe('privacy accountant', () => {
  it('starts empty and is immutable', () => {
    const l1 = recordRelease(emptyLedger, release);
    expect(emptyLedger.releases).toBe(0);
    expect(l1.releases).toBe(1);
    expect(Object.isFrozen(l1)).toBe(true);
    expect(cumulativeGuarantee(emptyLedger)).toMatchObject({
      epsilon: 0,
      delta: 0,
      method: 'none',
    });
  });

  it('basic composition sums ε and δ', () => {
    let l = emptyLedger;
    for (let i = 0; i < 3; i++) l = recordRelease(l, release);
    const g = cumulativeGuarantee(l);
    expect(g.basic.epsilon).toBeCloseTo(3, 14);
    expect(g.basic.delta).toBeCloseTo(3e-5, 18);
    expect(g.delta).toBeCloseTo(3e-5, 18);
  });

  it('Gaussian-DP composition: 3 releases at μ = 1/σ → ε(√3·μ, δ = 3e-5) = 1.70850 (mpmath)', () => {
    let l = emptyLedger;
    for (let i = 0; i < 3; i++) l = recordRelease(l, release);
    const g = cumulativeGuarantee(l);
    expect(g.method).toBe('gaussian-dp');
    expect(g.gaussianDp.mu).toBeCloseTo(Math.sqrt(3) / sigma1, 14);
    expect(Math.abs(g.epsilon - 1.7085029891223682)).toBeLessThan(1e-8);
    expect(g.epsilon).toBeLessThan(g.basic.epsilon);
  });

  it('10 releases: ε = 3.12997 (mpmath) versus 10 by basic composition', () => {
    let l = emptyLedger;
    for (let i = 0; i < 10; i++) l = recordRelease(l, release);
    expect(Math.abs(cumulativeGuarantee(l).epsilon - 3.129967554310331)).toBeLessThan(1e-8);
  });

  it('zCDP: ρ = Σ Δ²/(2σ²), ε = ρ + 2√(ρ ln(1/δ)), never below the exact GDP ε', () => {
    let l = emptyLedger;
    for (let i = 0; i < 3; i++) l = recordRelease(l, release);
    const g = cumulativeGuarantee(l);
    const rho = 3 / (2 * sigma1 * sigma1);
    expect(g.zcdp.rho).toBeCloseTo(rho, 15);
    expect(g.zcdp.epsilon).toBeCloseTo(rho + 2 * Math.sqrt(rho * Math.log(1 / 3e-5)), 12);
    expect(g.zcdp.epsilon).toBeGreaterThan(g.gaussianDp.epsilon);
  });

  it('reports the tighter of basic and Gaussian-DP composition', () => {
    // One release stating a generous ε = 2 for a σ that supports ε = 1: GDP gives the exact 1.
    const single = cumulativeGuarantee(recordRelease(emptyLedger, { ...release, epsilon: 2 }));
    expect(single.method).toBe('gaussian-dp');
    expect(single.epsilon).toBeCloseTo(1, 8);
    // Asked at a δ below Σδ_k, basic composition does not apply and GDP is used.
    const l = recordRelease(recordRelease(emptyLedger, release), release);
    expect(cumulativeGuarantee(l, { delta: 1e-6 }).method).toBe('gaussian-dp');
    // For honestly stated Gaussian releases, exact GDP composition is never looser than basic.
    let mixed = emptyLedger;
    for (const [e, d] of [
      [0.5, 1e-6],
      [2, 1e-5],
      [1, 1e-7],
      [4, 1e-5],
      [0.1, 1e-6],
    ] as const) {
      mixed = recordRelease(mixed, {
        kind: 'gaussian',
        sigma: analyticGaussianSigma(e, d, 3),
        sensitivity: 3,
        epsilon: e,
        delta: d,
      });
      const g = cumulativeGuarantee(mixed);
      expect(g.gaussianDp.epsilon).toBeLessThanOrEqual(g.basic.epsilon * (1 + 1e-9));
      expect(g.epsilon).toBe(Math.min(g.basic.epsilon, g.gaussianDp.epsilon));
    }
  });

  it('refuses a release that states a smaller ε than its σ supports', () => {
    let caught: unknown;
    try {
      recordRelease(emptyLedger, { ...release, epsilon: 0.5 });
    } catch (e) {
      caught = e;
    }
    expect(isUnlearningError(caught, 'PRIVACY_INVALID_PARAMS')).toBe(true);
  });

  it('exact releases add nothing; reset gives a fresh chain', () => {
    const l = recordRelease(recordRelease(emptyLedger, release), { kind: 'exact' });
    expect(l.exactReleases).toBe(1);
    expect(cumulativeGuarantee(l).epsilon).toBeCloseTo(
      cumulativeGuarantee(recordRelease(emptyLedger, release)).epsilon,
      14,
    );
    expect(resetLedger()).toEqual(emptyLedger);
  });

  it('an uncertified release poisons the ledger (ε = ∞) until a reset; certified releases after it do not cure it', () => {
    const poisoned = recordRelease(recordRelease(emptyLedger, release), { kind: 'uncertified' });
    expect(poisoned.uncertifiedReleases).toBe(1);
    expect(cumulativeGuarantee(poisoned)).toMatchObject({
      epsilon: Infinity,
      delta: 1,
      method: 'uncertified',
    });
    const later = recordRelease(poisoned, release);
    expect(cumulativeGuarantee(later).epsilon).toBe(Infinity);
    expect(checkBudget(later, release, { epsilon: 1e9, delta: 0.5 }).withinBudget).toBe(false);
    expect(cumulativeGuarantee(recordRelease(resetLedger(), release)).epsilon).toBeLessThan(1.01);
  });

  it('checkBudget / spend enforce the budget with BUDGET_EXHAUSTED', () => {
    const budget = { epsilon: 2, delta: 1e-4 };
    let l = emptyLedger;
    for (let i = 0; i < 4; i++) l = spend(l, release, budget);
    const after4 = cumulativeGuarantee(l).epsilon;
    expect(after4).toBeLessThanOrEqual(2);
    const check = checkBudget(l, release, budget);
    expect(check.after.epsilon).toBeGreaterThan(after4);
    let k = 4;
    try {
      for (; k < 100; k++) l = spend(l, release, budget);
    } catch (e) {
      expect(isUnlearningError(e, 'BUDGET_EXHAUSTED')).toBe(true);
    }
    expect(k).toBeLessThan(100);
    expect(cumulativeGuarantee(l).epsilon).toBeLessThanOrEqual(2);
    expect(
      cumulativeGuarantee(recordRelease(l, release)).epsilon > 2 ||
        cumulativeGuarantee(recordRelease(l, release)).delta > 1e-4,
    ).toBe(true);
  });

  it('rejects malformed releases with PRIVACY_INVALID_PARAMS', () => {
    for (const bad of [
      { ...release, sigma: 0 },
      { ...release, sensitivity: -1 },
      { ...release, delta: 1 },
      { ...release, epsilon: NaN },
    ]) {
      let caught: unknown;
      try {
        recordRelease(emptyLedger, bad);
      } catch (e) {
        caught = e;
      }
      expect(isUnlearningError(caught, 'PRIVACY_INVALID_PARAMS')).toBe(true);
    }
  });
});
