import { createRng, GaussianSampler } from '../domain/random';
import { norm2 } from '../domain/reference/linear-algebra';
import {
  conjugateGradient64,
  softmaxProbabilities,
  softmaxRegressionGradient,
  softmaxRegressionHvp,
  softmaxRegressionHessian,
  softmaxRegressionLoss,
  type SoftmaxRows,
} from '../domain/convex/softmax-regression';
import { mlpLossAndGradient, type MlpSpec } from './float64-mlp';
import { fitSoftmax64 } from './float64-softmax';

/** A small seeded 3-class problem in float32 features (as the engine stores them). */
const rowsOf = (n: number, d: number, k: number, seed: string): SoftmaxRows => {
  const normal = new GaussianSampler(createRng(seed));
  const features = Float32Array.from({ length: n * d }, () => normal.next());
  const labels = Int32Array.from({ length: n }, (_, i) => i % k);
  for (let i = 0; i < n; i++) features[i * d + (i % k)] = (features[i * d + (i % k)] as number) + 2; // signal
  return { features, labels, dim: d, classes: k };
};

describe('float64 softmax regression (convex-newton objective and oracle)', () => {
  const rows = rowsOf(60, 4, 3, 'softmax-oracle');
  const l2 = 0.05;
  const rng = new GaussianSampler(createRng('softmax-theta'));
  const theta = Float64Array.from({ length: 15 }, () => 0.5 * rng.next());

  it('loss and gradient agree with the independent float64 MLP (no hidden layer) and finite differences', () => {
    const spec: MlpSpec = { layerSizes: [4, 3], hiddenActivation: 'tanh', l2, l2Scope: 'all' };
    const ref = mlpLossAndGradient(spec, theta, {
      x: Float64Array.from(rows.features),
      y: rows.labels,
    });
    const g = softmaxRegressionGradient(theta, rows, l2);
    expect(Math.abs(softmaxRegressionLoss(theta, rows, l2) - ref.loss)).toBeLessThan(1e-12);
    for (let i = 0; i < g.length; i++)
      expect(Math.abs((g[i] as number) - (ref.gradient[i] as number))).toBeLessThan(1e-12);
    const h = 1e-6;
    for (const i of [0, 7, 14]) {
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[i] = (up[i] as number) + h;
      down[i] = (down[i] as number) - h;
      const fd =
        (softmaxRegressionLoss(up, rows, l2) - softmaxRegressionLoss(down, rows, l2)) / (2 * h);
      expect(Math.abs(fd - (g[i] as number))).toBeLessThan(1e-7);
    }
  });

  it('the dense Hessian matches finite differences of the gradient and is ≥ l2·I', () => {
    const H = softmaxRegressionHessian(theta, rows, l2);
    const p = 15;
    const h = 1e-6;
    for (const j of [0, 5, 13]) {
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[j] = (up[j] as number) + h;
      down[j] = (down[j] as number) - h;
      const gu = softmaxRegressionGradient(up, rows, l2);
      const gd = softmaxRegressionGradient(down, rows, l2);
      for (let i = 0; i < p; i++) {
        const fd = ((gu[i] as number) - (gd[i] as number)) / (2 * h);
        expect(Math.abs(fd - (H[i * p + j] as number))).toBeLessThan(1e-7);
      }
    }
    // vᵀHv ≥ l2‖v‖² for seeded random directions (strong convexity).
    for (let t = 0; t < 5; t++) {
      const v = Float64Array.from({ length: p }, () => rng.next());
      let vhv = 0;
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++)
          vhv += (v[i] as number) * (H[i * p + j] as number) * (v[j] as number);
      expect(vhv).toBeGreaterThanOrEqual(l2 * norm2(v) ** 2 * (1 - 1e-12));
    }
  });

  it('the oracle reaches ‖∇F‖ ≤ 1e-13, and ‖w − w*‖ ≤ ‖∇F(w)‖/λ holds at perturbed points', () => {
    const fit = fitSoftmax64(rows, l2);
    expect(fit.gradientNorm).toBeLessThanOrEqual(1e-13);
    for (const scale of [1e-4, 1e-2, 1]) {
      const w = fit.theta.map((v) => v + scale * rng.next());
      let dist = 0;
      for (let i = 0; i < w.length; i++) dist += ((w[i] as number) - (fit.theta[i] as number)) ** 2;
      const bound = norm2(softmaxRegressionGradient(w, rows, l2)) / l2;
      expect(Math.sqrt(dist)).toBeLessThanOrEqual(bound + fit.gradientNorm / l2);
    }
  });

  it('the analytic HVP equals the dense Hessian times v, and float64 CG solves the Newton system', () => {
    const H = softmaxRegressionHessian(theta, rows, l2);
    const P = softmaxProbabilities(theta, rows);
    const v = Float64Array.from({ length: 15 }, () => rng.next());
    const hv = softmaxRegressionHvp(rows, P, v, l2);
    for (let i = 0; i < 15; i++) {
      let dense = 0;
      for (let j = 0; j < 15; j++) dense += (H[i * 15 + j] as number) * (v[j] as number);
      expect(Math.abs(dense - (hv[i] as number))).toBeLessThan(1e-12);
    }
    const cg = conjugateGradient64((u) => softmaxRegressionHvp(rows, P, u, l2), v, 1e-12, 100);
    const back = softmaxRegressionHvp(rows, P, cg.solution, l2);
    let res = 0;
    for (let i = 0; i < 15; i++) res += ((back[i] as number) - (v[i] as number)) ** 2;
    expect(Math.sqrt(res)).toBeLessThanOrEqual(1e-12 * norm2(v) * 10);
    expect(cg.iterations).toBeLessThanOrEqual(100);
  });

  it('refuses a parameter vector of the wrong length with a coded error', () => {
    expect(() => softmaxRegressionGradient(new Float64Array(3), rows, l2)).toThrow(
      expect.objectContaining({ code: 'MODEL_INVALID_INPUT' }),
    );
  });
});
