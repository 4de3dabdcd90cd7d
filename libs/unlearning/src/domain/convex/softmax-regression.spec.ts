import { createRng } from '../random';
import {
  softmaxParamCount,
  softmaxRegressionLoss,
  softmaxRegressionLossAndGradient,
  type SoftmaxRows,
} from './softmax-regression';

/**
 * The plain loops the fast gradient replaced (one class at a time, partial sums in memory): the
 * reference it must equal bit for bit (same sums in the same order), the certificate's check
 * being computed by it.
 */
const plainLossAndGradient = (theta: ArrayLike<number>, rows: SoftmaxRows, l2: number) => {
  const { dim: d, classes: k } = rows;
  const n = rows.labels.length;
  const g = new Float64Array(theta.length);
  const z = new Float64Array(k);
  const biasAt = d * k;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const off = r * d;
    for (let j = 0; j < k; j++) z[j] = theta[biasAt + j] as number;
    for (let i = 0; i < d; i++) {
      const xi = rows.features[off + i] as number;
      if (xi === 0) continue;
      for (let j = 0; j < k; j++) z[j] = (z[j] as number) + xi * (theta[i * k + j] as number);
    }
    const y = rows.labels[r] as number;
    const zy = z[y] as number;
    let m = -Infinity;
    for (const v of z) if (v > m) m = v;
    let s = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp((z[j] as number) - m);
      z[j] = e;
      s += e;
    }
    for (let j = 0; j < k; j++) z[j] = (z[j] as number) / s;
    loss += m + Math.log(s) - zy;
    z[y] = (z[y] as number) - 1;
    for (let j = 0; j < k; j++) g[biasAt + j] = (g[biasAt + j] as number) + (z[j] as number);
    for (let i = 0; i < d; i++) {
      const xi = rows.features[off + i] as number;
      if (xi === 0) continue;
      for (let j = 0; j < k; j++) g[i * k + j] = (g[i * k + j] as number) + xi * (z[j] as number);
    }
  }
  let sq = 0;
  for (let i = 0; i < g.length; i++) {
    const t = theta[i] as number;
    sq += t * t;
    g[i] = (g[i] as number) / n + l2 * t;
  }
  return { loss: loss / n + (l2 / 2) * sq, gradient: g };
};

const aProblem = (seed: number, n: number, d: number, k: number) => {
  const rng = createRng(seed);
  const features = new Float32Array(n * d);
  // About one feature in five is exactly 0 (skipped by both).
  for (let i = 0; i < features.length; i++)
    features[i] = rng.nextFloat() < 0.2 ? 0 : Math.tanh(4 * rng.nextFloat() - 2);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) labels[r] = Math.floor(rng.nextFloat() * k);
  const theta = new Float32Array(softmaxParamCount(d, k));
  for (let i = 0; i < theta.length; i++) theta[i] = 2 * rng.nextFloat() - 1;
  return { rows: { features, labels, dim: d, classes: k }, theta };
};

describe('softmaxRegressionLossAndGradient (float64, the certificate check)', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 16, 17, 19])(
    'equals the plain loops bit for bit with %i classes (float32 and float64 θ)',
    (k) => {
      const { rows, theta } = aProblem(k, 97, 13, k);
      for (const t of [theta, Float64Array.from(theta, (v) => v * (1 + 1e-9))]) {
        const fast = softmaxRegressionLossAndGradient(t, rows, 0.01);
        const plain = plainLossAndGradient(t, rows, 0.01);
        expect(fast.loss).toBe(plain.loss);
        expect(Array.from(fast.gradient)).toEqual(Array.from(plain.gradient));
        expect(fast.loss).toBe(softmaxRegressionLoss(t, rows, 0.01));
      }
    },
  );

  it('is the gradient of the loss (central differences, float64)', () => {
    const { rows, theta } = aProblem(3, 40, 6, 10);
    const w = Float64Array.from(theta);
    const { gradient } = softmaxRegressionLossAndGradient(w, rows, 0.05);
    const h = 1e-6;
    for (const i of [0, 7, 33, 59, 60, 69]) {
      const up = Float64Array.from(w);
      const down = Float64Array.from(w);
      up[i] = (up[i] as number) + h;
      down[i] = (down[i] as number) - h;
      const fd =
        (softmaxRegressionLoss(up, rows, 0.05) - softmaxRegressionLoss(down, rows, 0.05)) / (2 * h);
      expect(Math.abs(fd - (gradient[i] as number))).toBeLessThan(1e-7);
    }
  });
});
