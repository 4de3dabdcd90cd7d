import { createRng, gaussianVector } from '../random';
import { isUnlearningError } from '../errors';
import {
  softmaxParamCount,
  softmaxRegressionGradient,
  softmaxRegressionHessian,
  type SoftmaxRows,
} from './softmax-regression';
import {
  buildSoftmaxHessianFactor,
  choleskyUpper,
  choleskyUpperDowndate,
  choleskyUpperDowndateMany,
  choleskyUpperSolve,
  downdateSoftmaxHessianFactor,
  gradientWithoutRows,
  keptFactorDirection,
  softmaxCurvatureSum,
} from './hessian-factor';

/** Seeded rows with some exact zeros (the curvature sum skips them, as on MNIST pixels). */
const rowsFactory = (n: number, dim: number, classes: number, seed: string): SoftmaxRows => {
  const rng = createRng(seed);
  const x = Float32Array.from(gaussianVector(rng, n * dim), (v) => (Math.abs(v) < 0.4 ? 0 : v));
  const labels = Int32Array.from({ length: n }, () => rng.nextInt(classes));
  return { features: x, labels, dim, classes };
};

const slice = (r: SoftmaxRows, from: number, to: number): SoftmaxRows => ({
  features: Array.from(r.features).slice(from * r.dim, to * r.dim),
  labels: Array.from(r.labels).slice(from, to),
  dim: r.dim,
  classes: r.classes,
});

const gram = (U: Float64Array, p: number): Float64Array => {
  const S = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k <= Math.min(i, j); k++)
        s += (U[k * p + i] as number) * (U[k * p + j] as number);
      S[i * p + j] = s;
    }
  return S;
};

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe('the kept Hessian factor of a softmax regression (float64)', () => {
  const dim = 5;
  const classes = 3;
  const p = softmaxParamCount(dim, classes);
  const l2 = 0.05;
  const rows = rowsFactory(60, dim, classes, 'factor');
  const theta = Float32Array.from(gaussianVector(createRng('theta'), p, 0.5));

  it('the curvature sum is n·(the dense Hessian oracle) with ridge n·λ', () => {
    const S = softmaxCurvatureSum(theta, rows, 60 * l2);
    const H = softmaxRegressionHessian(theta, rows, l2);
    expect(
      maxAbsDiff(
        S,
        Float64Array.from(H, (v) => v * 60),
      ),
    ).toBeLessThan(1e-9);
  });

  it('UᵀU = S and the solve inverts S', () => {
    const S = softmaxCurvatureSum(theta, rows, 60 * l2);
    const U = choleskyUpper(S, p);
    expect(maxAbsDiff(gram(U, p), S)).toBeLessThan(1e-9);
    const b = gaussianVector(createRng('rhs'), p);
    const x = choleskyUpperSolve(U, p, b);
    const Sx = new Float64Array(p);
    for (let i = 0; i < p; i++)
      for (let j = 0; j < p; j++)
        Sx[i] = (Sx[i] as number) + (S[i * p + j] as number) * (x[j] as number);
    expect(maxAbsDiff(Sx, b)).toBeLessThan(1e-9);
  });

  it('downdating removed rows gives the factor rebuilt without them (same centre and ridge)', () => {
    const f = buildSoftmaxHessianFactor(theta, rows, l2);
    const down = downdateSoftmaxHessianFactor(f, slice(rows, 50, 60));
    expect(down.rows).toBe(50);
    expect(down.downdates).toBe(10 * classes);
    const rebuilt = choleskyUpper(softmaxCurvatureSum(theta, slice(rows, 0, 50), 60 * l2), p);
    expect(maxAbsDiff(down.upper, rebuilt)).toBeLessThan(1e-9);
    // The original factor is not modified (a refused request leaves the chain's factor intact).
    expect(maxAbsDiff(f.upper, choleskyUpper(softmaxCurvatureSum(theta, rows, 60 * l2), p))).toBe(
      0,
    );
  });

  it('the one-pass downdate of m vectors is bit-identical to m sequential rank-one downdates', () => {
    const f = buildSoftmaxHessianFactor(theta, rows, l2);
    const rng = createRng('many');
    const m = 4;
    const V = new Float64Array(m * p);
    for (let t = 0; t < m; t++) {
      const v = gaussianVector(rng, p);
      // Small enough to keep S − Σ vvᵀ positive definite; leading zeros differ per vector.
      for (let j = t; j < p; j++) V[t * p + j] = 0.05 * (v[j] as number);
    }
    const seq = Float64Array.from(f.upper);
    for (let t = 0; t < m; t++) choleskyUpperDowndate(seq, p, V.slice(t * p, (t + 1) * p));
    const many = Float64Array.from(f.upper);
    choleskyUpperDowndateMany(many, p, Float64Array.from(V), m);
    expect(Array.from(many)).toEqual(Array.from(seq));
    expect(maxAbsDiff(many, f.upper)).toBeGreaterThan(0);
  });

  it('the direction is n_r·S⁻¹g, the Newton direction up to the ridge', () => {
    const f = buildSoftmaxHessianFactor(theta, rows, l2);
    const g = gaussianVector(createRng('g'), p);
    const x = keptFactorDirection(f, g, 60);
    const H = softmaxRegressionHessian(theta, rows, l2);
    const Hx = new Float64Array(p);
    for (let i = 0; i < p; i++)
      for (let j = 0; j < p; j++)
        Hx[i] = (Hx[i] as number) + (H[i * p + j] as number) * (x[j] as number);
    expect(maxAbsDiff(Hx, g)).toBeLessThan(1e-9);
  });

  it('the gradient on D_r from the kept gradient on D equals a full pass on D_r', () => {
    const full = softmaxRegressionGradient(theta, rows, l2);
    const derived = gradientWithoutRows(theta, full, 60, slice(rows, 52, 60), l2);
    const direct = softmaxRegressionGradient(theta, slice(rows, 0, 52), l2);
    expect(maxAbsDiff(derived, direct)).toBeLessThan(1e-12);
  });

  it('refuses a downdate that would lose positive definiteness, and a factor emptied of rows', () => {
    const U = choleskyUpper(Float64Array.from([1, 0, 0, 1]), 2);
    expect(() => choleskyUpperDowndate(U, 2, Float64Array.from([2, 0]))).toThrow(
      'positive definiteness',
    );
    const f = buildSoftmaxHessianFactor(theta, slice(rows, 0, 3), l2);
    try {
      downdateSoftmaxHessianFactor(f, slice(rows, 0, 3));
      throw new Error('expected a refusal');
    } catch (e) {
      expect(isUnlearningError(e)).toBe(true);
    }
  });
});
