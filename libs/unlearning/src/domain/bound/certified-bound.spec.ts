import { isUnlearningError } from '../errors';
import { certifiedBound, type CertifiedBoundInputs } from './certified-bound';

const base: CertifiedBoundInputs = {
  C: 1,
  lambda: 100,
  M: 2,
  lambdaMin: -20,
  lambdaMax: 50,
  G: 0,
  p: 1000,
  n: 1000,
  nU: 100,
  form: 'nonconvergence',
};

const expectInvalid = (inputs: unknown): void => {
  let caught: unknown;
  try {
    certifiedBound(inputs as CertifiedBoundInputs);
  } catch (e) {
    caught = e;
  }
  expect(isUnlearningError(caught, 'BOUND_INVALID_INPUT')).toBe(true);
};

describe('certifiedBound', () => {
  it('exact inverse reproduces Theorem 3.4: 2C(MC+λ)/(λ+λ_min) (paper.md §3.6 example → 40.8)', () => {
    const r = certifiedBound({ ...base, C: 20, M: 1, lambda: 1000, lambdaMin: 0, lambdaMax: 500 });
    expect(r.terms.newton).toBeCloseTo(40.8, 12); // 2·20·(20+1000)/1000
    expect(r.terms.lissa).toBe(0);
    expect(r.terms.nonconvergence).toBe(0);
    expect(r.bound).toBeCloseTo(40.8, 12);
    expect(r.assumptions.join('\n')).toMatch(/stationary point of L\(·, D_r\) \(G = 0\)/);
  });

  it('with a negative λ_min: 2·1·(2·1+100)/(100−20) = 2.55', () => {
    expect(certifiedBound(base).terms.newton).toBeCloseTo(204 / 80, 14);
  });

  it('nonconvergence adds G/(λ+λ_min): 0.8/80 = 0.01', () => {
    const r = certifiedBound({ ...base, G: 0.8 });
    expect(r.terms.nonconvergence).toBeCloseTo(0.01, 15);
    expect(r.bound).toBeCloseTo(2.55 + 0.01, 14);
  });

  it('LiSSA term, √(p/ρ) form, measured ‖g‖: [16·100/80 + 1/16]·0.4 + (1/2)^4·0.4/80', () => {
    const r = certifiedBound({
      ...base,
      G: 0.8,
      updateGradNorm: 0.4,
      lissa: { S: 10, s: 3, H: 160, b: 10, rho: 0.1 },
    });
    // p/ρ = 10000 → √ = 100; factor = 20.0625; concentration = 8.025
    expect(r.lissaDetail!.factor).toBeCloseTo(20.0625, 13);
    expect(r.lissaDetail!.concentration).toBeCloseTo(8.025, 13);
    // truncation: (1 − 80/160)^(3+1) · 0.4 / 80 = 0.0003125
    expect(r.lissaDetail!.truncation).toBeCloseTo(0.0003125, 15);
    expect(r.terms.lissa).toBeCloseTo(8.0253125, 13);
    expect(r.bound).toBeCloseTo(2.55 + 0.01 + 8.0253125, 12);
    expect(r.constants.lissaErrorForm).toBe('sqrt-p-over-rho');
    expect(r.assumptions.join('\n')).toMatch(/probability >= 1 − ρ/);
  });

  it('LiSSA term, √ln(p/ρ) form (R2D Table 16) is smaller than the √(p/ρ) form', () => {
    const lissa = { S: 10, s: 3, H: 160, b: 10, rho: 0.1, truncationTerm: false } as const;
    const log = certifiedBound({
      ...base,
      updateGradNorm: 0.4,
      lissa: { ...lissa, errorForm: 'sqrt-log-p-over-rho' },
    });
    // √ln(10000) = 3.0348542587702925 → factor = 16·3.03485…/80 + 0.0625 = 0.6694708517540585
    expect(log.lissaDetail!.factor).toBeCloseTo(0.6694708517540585, 13);
    expect(log.terms.lissa).toBeCloseTo(0.6694708517540585 * 0.4, 13);
    const lin = certifiedBound({ ...base, updateGradNorm: 0.4, lissa });
    expect(lin.terms.lissa).toBeGreaterThan(log.terms.lissa);
  });

  it('without a measured ‖g‖ the LiSSA factor multiplies L·D + G, with L = max(|λ_min|, |λ_max|)', () => {
    const lissa = { S: 1, s: 1, H: 1000, b: 1, rho: 0.1, truncationTerm: false } as const;
    const r = certifiedBound({ ...base, G: 0.8, lissa });
    expect(r.constants.L).toBe(50);
    expect(r.constants.gradNormForLissa).toBeCloseTo(50 * 2 + 0.8, 13);
    expect(r.terms.lissa).toBeCloseTo(20.0625 * 100.8, 10);
    expect(r.usesL).toBe(true);
    // Converged form: g = (n/(n−n_u))∇L(w*, D) − ∇L(w*, D_r), so ‖g‖ ≤ L·D + G + (n/(n−n_u))‖∇L(w*, D)‖.
    const conv = certifiedBound({ ...base, G: 0.8, form: 'converged', lissa, L: 3 });
    expect(conv.constants.gradNormForLissa).toBeCloseTo(6 + 0.8, 13);
    const convFull = certifiedBound({
      ...base,
      G: 0.8,
      form: 'converged',
      lissa,
      L: 3,
      fullGradNorm: 0.3,
    });
    expect(convFull.constants.gradNormForLissa).toBeCloseTo(6 + 0.8 + (1000 / 900) * 0.3, 13);
    expect(certifiedBound({ ...base, lissa, updateGradNorm: 1 }).usesL).toBe(false);
  });

  it('converged form adds (n/(n−n_u))·‖∇L(w*, D)‖/(λ+λ_min) when measured, else assumes stationarity', () => {
    const r = certifiedBound({ ...base, form: 'converged', fullGradNorm: 0.3 });
    expect(r.terms.nonconvergence).toBeCloseTo(((1000 / 900) * 0.3) / 80, 15);
    const a = certifiedBound({ ...base, form: 'converged' });
    expect(a.terms.nonconvergence).toBe(0);
    expect(a.assumptions.join('\n')).toMatch(/w\* is a stationary point of L\(·, D\)/);
  });

  it('sequential: a start point inside the ball keeps the single-shot bound (Prop 4.2)', () => {
    const r1 = certifiedBound(base);
    const rk = certifiedBound({ ...base, startNorm: 0.99, sequenceIndex: 5 });
    expect(rk.bound).toBe(r1.bound);
    expect(rk.assumptions.join('\n')).not.toMatch(
      /start point of the Newton step lies in the C-ball/,
    );
  });

  it('sequential: a start point outside the ball widens D to C + ‖start‖ (derived)', () => {
    const r = certifiedBound({ ...base, startNorm: 1.5 });
    expect(r.constants.diameter).toBe(2.5);
    expect(r.terms.newton).toBeCloseTo((1 * 2.5 * 2.5 + 100 * 2.5) / 80, 14); // 3.203125
    expect(r.assumptions.join('\n')).toMatch(/left the C-ball/);
  });

  it('bound grows with M and C and shrinks with λ_min', () => {
    const b0 = certifiedBound(base).bound;
    expect(certifiedBound({ ...base, M: 3 }).bound).toBeGreaterThan(b0);
    expect(certifiedBound({ ...base, C: 2 }).bound).toBeGreaterThan(b0);
    expect(certifiedBound({ ...base, lambdaMin: 0 }).bound).toBeLessThan(b0);
  });

  it('gives a formula string with the substituted values and the total', () => {
    const r = certifiedBound({ ...base, G: 0.8 });
    expect(r.formula).toContain('Δ = ((M/2)·D² + λ·D)/(λ+λ_min) + G/(λ+λ_min)');
    expect(r.formula).toContain('D = 2C = 2');
    expect(r.formula).toContain('2.56000');
  });

  it('rejects invalid inputs with BOUND_INVALID_INPUT', () => {
    expectInvalid({ ...base, lambdaMin: -100 }); // λ + λ_min = 0
    expectInvalid({ ...base, lambdaMin: -150 });
    expectInvalid({ ...base, C: 0 });
    expectInvalid({ ...base, C: NaN });
    expectInvalid({ ...base, M: -1 });
    expectInvalid({ ...base, G: Infinity });
    expectInvalid({ ...base, lambdaMin: 60 }); // > λ_max
    expectInvalid({ ...base, nU: 1000 });
    expectInvalid({ ...base, nU: 1.5 });
    expectInvalid({ ...base, p: 0 });
    expectInvalid({ ...base, form: 'other' });
    expectInvalid({ ...base, lissa: { S: 1, s: 1, H: 100, b: 1, rho: 0.1 } }); // H < λ_max + λ
    expectInvalid({ ...base, lissa: { S: 1, s: 1, H: 1000, b: 1, rho: 1 } });
    expectInvalid({ ...base, lissa: { S: 0, s: 1, H: 1000, b: 1, rho: 0.1 } });
    expectInvalid(null);
  });
});
