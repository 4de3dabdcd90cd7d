import { isUnlearningError } from '../errors';
import { certifiedBound, type CertifiedBoundInputs } from './certified-bound';

const base: CertifiedBoundInputs = {
  C: 1,
  lambda: 100,
  M: 2,
  lambdaMin: -20,
  G: 0,
  n: 1000,
  nU: 100,
  form: 'nonconvergence',
  solverTolerance: 0,
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

describe('certifiedBound (settings and stated assumptions only)', () => {
  it('reproduces Theorem 3.4: 2C(MC+λ)/(λ+λ_min) (C = 20, M = 1, λ = 1000, λ_min = 0 → 40.8)', () => {
    const r = certifiedBound({ ...base, C: 20, M: 1, lambda: 1000, lambdaMin: 0 });
    expect(r.terms.newton).toBeCloseTo(40.8, 12);
    expect(r.terms.nonconvergence).toBe(0);
    expect(r.terms.solver).toBe(0);
    expect(r.bound).toBeCloseTo(40.8, 12);
    expect(r.assumptions.join('\n')).toMatch(/stationary point of L\(·, D_r\) \(G = 0\)/);
  });

  it('with a negative λ_min: 2·1·(2·1+100)/(100−20) = 2.55', () => {
    expect(certifiedBound(base).terms.newton).toBeCloseTo(204 / 80, 14);
  });

  it('adds G/(λ+λ_min), and in converged form (n/(n−n_u))·G/(λ+λ_min) too', () => {
    expect(certifiedBound({ ...base, G: 0.8 }).terms.nonconvergence).toBeCloseTo(0.01, 15);
    const conv = certifiedBound({ ...base, G: 0.8, form: 'converged' });
    expect(conv.terms.nonconvergence).toBeCloseTo(0.01 + (1000 / 900) * 0.01, 15);
    expect(conv.assumptions.join('\n')).toMatch(/G also bounds ‖∇L\(start, D\)‖/);
  });

  it('the solver term is the tolerance τ of the residual certificate (no probability, no ρ)', () => {
    const r = certifiedBound({ ...base, G: 0.8, solverTolerance: 0.25 });
    expect(r.terms.solver).toBe(0.25);
    expect(r.bound).toBeCloseTo(2.55 + 0.01 + 0.25, 14);
    expect(r.assumptions.join('\n')).toMatch(/residual certificate/);
    expect(r.assumptions.join('\n')).not.toMatch(/probability/);
    expect(r.formula).toContain('τ = 0.25');
  });

  it('is a function of its inputs only (same settings → the same Δ, whatever was measured)', () => {
    expect(certifiedBound({ ...base, G: 0.3 })).toEqual(certifiedBound({ ...base, G: 0.3 }));
  });

  it('the diameter defaults to 2C and may only be larger', () => {
    expect(certifiedBound(base).constants.diameter).toBe(2);
    const wide = certifiedBound({ ...base, diameter: 2.000002 });
    expect(wide.terms.newton).toBeGreaterThan(certifiedBound(base).terms.newton);
    expectInvalid({ ...base, diameter: 1.5 });
  });

  it('refuses M = 0 (no network has a quadratic loss), λ + λ_min ≤ 0 and malformed inputs', () => {
    expectInvalid({ ...base, M: 0 });
    expectInvalid({ ...base, lambdaMin: -100 });
    expectInvalid({ ...base, lambdaMin: -200 });
    expectInvalid({ ...base, C: 0 });
    expectInvalid({ ...base, nU: 1000 });
    expectInvalid({ ...base, solverTolerance: -1 });
    expectInvalid({ ...base, solverTolerance: Number.NaN });
    expectInvalid({ ...base, form: 'other' });
    expectInvalid(null);
  });
});
