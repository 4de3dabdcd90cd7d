import { createRng, gaussianVector } from '../random';
import { matVec, norm2, symmetricEigenvalues } from './linear-algebra';
import {
  fitLogisticRegression,
  logisticGradient,
  logisticHessian,
  logisticHessianVectorProduct,
  logisticLoss,
  logisticPredict,
  type BinaryData,
  type LogisticSpec,
} from './logistic-regression';

function data(n: number, d: number, seed: number): BinaryData {
  const rng = createRng(seed);
  const x = gaussianVector(rng, n * d);
  const wTrue = gaussianVector(rng, d);
  const y = Array.from({ length: n }, (_, i) => {
    let z = 0.3;
    for (let j = 0; j < d; j++) z += x[i * d + j]! * wTrue[j]!;
    return rng.nextFloat() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  });
  return { x, y };
}

describe('L2 logistic regression (convex oracle)', () => {
  const spec: LogisticSpec = { dim: 4, l2: 0.1, fitIntercept: true };
  const D = data(60, 4, 1);
  const theta = gaussianVector(createRng(2), 5);

  it('loss at θ = 0 is ln 2', () => {
    expect(logisticLoss(spec, new Float64Array(5), D)).toBeCloseTo(Math.LN2, 15);
  });

  it('gradient matches central finite differences', () => {
    const g = logisticGradient(spec, theta, D);
    for (let j = 0; j < 5; j++) {
      const h = 1e-6;
      const tp = new Float64Array(theta);
      const tm = new Float64Array(theta);
      tp[j]! += h;
      tm[j]! -= h;
      expect(g[j]!).toBeCloseTo(
        (logisticLoss(spec, tp, D) - logisticLoss(spec, tm, D)) / (2 * h),
        8,
      );
    }
  });

  it('Hessian matches finite differences of the gradient and HVP = H·v', () => {
    const H = logisticHessian(spec, theta, D);
    const h = 1e-5;
    for (let j = 0; j < 5; j++) {
      const tp = new Float64Array(theta);
      const tm = new Float64Array(theta);
      tp[j]! += h;
      tm[j]! -= h;
      const gp = logisticGradient(spec, tp, D);
      const gm = logisticGradient(spec, tm, D);
      for (let i = 0; i < 5; i++) expect(H[i * 5 + j]!).toBeCloseTo((gp[i]! - gm[i]!) / (2 * h), 8);
    }
    const v = gaussianVector(createRng(3), 5);
    const hv = logisticHessianVectorProduct(spec, theta, D, v);
    const Hv = matVec(H, v);
    for (let i = 0; i < 5; i++) expect(hv[i]!).toBeCloseTo(Hv[i]!, 14);
  });

  it('Hessian eigenvalues on the weights are ≥ l2 (strong convexity)', () => {
    const noIntercept: LogisticSpec = { ...spec, fitIntercept: false };
    const H = logisticHessian(noIntercept, theta.subarray(0, 4), D);
    expect(symmetricEigenvalues(H, 4)[0]!).toBeGreaterThanOrEqual(0.1 - 1e-15);
  });

  it('Newton fit reaches a stationary point and predicts better than chance', () => {
    const fit = fitLogisticRegression(spec, D);
    expect(fit.converged).toBe(true);
    expect(norm2(logisticGradient(spec, fit.theta, D))).toBeLessThan(1e-10);
    const p = logisticPredict(spec, fit.theta, D.x);
    let correct = 0;
    for (let i = 0; i < p.length; i++) if ((p[i]! > 0.5 ? 1 : 0) === D.y[i]) correct++;
    expect(correct / p.length).toBeGreaterThan(0.6);
    expect(logisticLoss(spec, fit.theta, D)).toBeLessThan(logisticLoss(spec, theta, D));
  });
});
