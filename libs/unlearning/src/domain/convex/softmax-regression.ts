/**
 * Multinomial logistic (softmax) regression in float64: the objective of `convex-newton`
 * (docs/method.md#10-convex-newton-certified-removal-for-a-strongly-convex-model),
 *
 *   F(θ) = (1/n)·Σᵢ CE(softmax(W ᵀxᵢ + b), yᵢ) + (l2/2)·‖θ‖²,  θ = [W (d × k, row-major), b (k)],
 *
 * the engine's flat layout (application/model/architecture.ts: kernel [in, out] then bias), with the
 * L2 term on every parameter, biases included (as the engine's Objective). F is l2-strongly convex.
 *
 * Used for the private certificate check ‖∇F_r(w)‖ ≤ l2·τ: computed in float64 at the exact float32
 * vector that is released (after noise), so the check does not depend on float32 reductions.
 */
import { UnlearningError, UnlearningErrorCodes } from '../errors';

export interface SoftmaxRows {
  /** Row-major features [n × dim] (float32 as stored; converted exactly to float64). */
  readonly features: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
  readonly dim: number;
  readonly classes: number;
}

export const softmaxParamCount = (dim: number, classes: number): number => (dim + 1) * classes;

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.MODEL_INVALID_INPUT, message, details);
};

const check = (theta: ArrayLike<number>, rows: SoftmaxRows): number => {
  const n = rows.labels.length;
  if (theta.length !== softmaxParamCount(rows.dim, rows.classes))
    fail('theta must have (dim + 1)·classes entries', { length: theta.length });
  if (rows.features.length !== n * rows.dim) fail('features must be [n × dim]', { n });
  if (n < 1) fail('no rows');
  return n;
};

/** Softmax of z (length k) in place, shifted by the max; returns log Σ exp(z − max) + max. */
const softmaxInPlace = (z: Float64Array): number => {
  const k = z.length;
  let m = -Infinity;
  for (let j = 0; j < k; j++) {
    const v = z[j] as number;
    if (v > m) m = v;
  }
  let s = 0;
  for (let j = 0; j < k; j++) {
    const e = Math.exp((z[j] as number) - m);
    z[j] = e;
    s += e;
  }
  for (let j = 0; j < k; j++) z[j] = (z[j] as number) / s;
  return m + Math.log(s);
};

/** Logits of one row into z. */
const logits = (
  theta: ArrayLike<number>,
  x: ArrayLike<number>,
  offset: number,
  d: number,
  k: number,
  z: Float64Array,
): void => {
  const biasAt = d * k;
  for (let j = 0; j < k; j++) z[j] = theta[biasAt + j] as number;
  for (let i = 0; i < d; i++) {
    const xi = x[offset + i] as number;
    if (xi === 0) continue;
    const row = i * k;
    for (let j = 0; j < k; j++) z[j] = (z[j] as number) + xi * (theta[row + j] as number);
  }
};

/** F(θ) in float64. */
export function softmaxRegressionLoss(
  theta: ArrayLike<number>,
  rows: SoftmaxRows,
  l2: number,
): number {
  const n = check(theta, rows);
  const { dim: d, classes: k } = rows;
  const z = new Float64Array(k);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    logits(theta, rows.features, r * d, d, k, z);
    const y = rows.labels[r] as number;
    const zy = z[y] as number;
    loss += softmaxInPlace(z) - zy;
  }
  let sq = 0;
  for (let i = 0; i < theta.length; i++) sq += (theta[i] as number) ** 2;
  return loss / n + (l2 / 2) * sq;
}

/**
 * F(θ) and ∇F(θ) = (1/n)·Σ x̃ᵢ(pᵢ − e_{yᵢ})ᵀ + l2·θ in float64, in one pass over the rows.
 *
 * The certificate's check runs this once per request over all of D_r, so it is written for speed
 * (docs/benchmarks.md (g)): θ is read from a float64 copy (exact), each row's features are
 * converted to float64 once, and the classes are taken eight at a time (then two, then one) with
 * their logits (then their gradient factors) held in locals, so that a feature is read once per
 * eight classes and no partial sum goes through memory. Every sum is formed in the
 * same order as the plain loops (a logit: its bias, then the features in order; a gradient entry:
 * the rows in order), so the result is bit-identical to them (softmax-regression.spec.ts checks it
 * against a reference).
 */
export function softmaxRegressionLossAndGradient(
  theta: ArrayLike<number>,
  rows: SoftmaxRows,
  l2: number,
): { readonly loss: number; readonly gradient: Float64Array } {
  const n = check(theta, rows);
  const { dim: d, classes: k } = rows;
  const p = theta.length;
  const th = new Float64Array(p);
  for (let i = 0; i < p; i++) th[i] = theta[i] as number;
  const g = new Float64Array(p);
  const z = new Float64Array(k);
  // The row's features as float64, converted once per row (not once per block of classes).
  const xr = new Float64Array(d);
  const x = rows.features;
  const labels = rows.labels;
  const biasAt = d * k;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const off = r * d;
    for (let i = 0; i < d; i++) xr[i] = x[off + i] as number;
    // Logits z = θ_biasᵀ + Σᵢ xᵢ·θ_i, eight classes at a time, then two, then one.
    let j = 0;
    for (; j + 7 < k; j += 8) {
      let z0 = th[biasAt + j] as number;
      let z1 = th[biasAt + j + 1] as number;
      let z2 = th[biasAt + j + 2] as number;
      let z3 = th[biasAt + j + 3] as number;
      let z4 = th[biasAt + j + 4] as number;
      let z5 = th[biasAt + j + 5] as number;
      let z6 = th[biasAt + j + 6] as number;
      let z7 = th[biasAt + j + 7] as number;
      for (let i = 0, at = j; i < d; i++, at += k) {
        const xi = xr[i] as number;
        if (xi === 0) continue;
        z0 = z0 + xi * (th[at] as number);
        z1 = z1 + xi * (th[at + 1] as number);
        z2 = z2 + xi * (th[at + 2] as number);
        z3 = z3 + xi * (th[at + 3] as number);
        z4 = z4 + xi * (th[at + 4] as number);
        z5 = z5 + xi * (th[at + 5] as number);
        z6 = z6 + xi * (th[at + 6] as number);
        z7 = z7 + xi * (th[at + 7] as number);
      }
      z[j] = z0;
      z[j + 1] = z1;
      z[j + 2] = z2;
      z[j + 3] = z3;
      z[j + 4] = z4;
      z[j + 5] = z5;
      z[j + 6] = z6;
      z[j + 7] = z7;
    }
    for (; j + 1 < k; j += 2) {
      let z0 = th[biasAt + j] as number;
      let z1 = th[biasAt + j + 1] as number;
      for (let i = 0, at = j; i < d; i++, at += k) {
        const xi = xr[i] as number;
        if (xi === 0) continue;
        z0 = z0 + xi * (th[at] as number);
        z1 = z1 + xi * (th[at + 1] as number);
      }
      z[j] = z0;
      z[j + 1] = z1;
    }
    for (; j < k; j++) {
      let z0 = th[biasAt + j] as number;
      for (let i = 0, at = j; i < d; i++, at += k) {
        const xi = xr[i] as number;
        if (xi === 0) continue;
        z0 = z0 + xi * (th[at] as number);
      }
      z[j] = z0;
    }
    const y = labels[r] as number;
    const zy = z[y] as number;
    loss += softmaxInPlace(z) - zy;
    z[y] = (z[y] as number) - 1;
    for (let c = 0; c < k; c++) g[biasAt + c] = (g[biasAt + c] as number) + (z[c] as number);
    // ∇ += xᵢ·(p − e_y), eight classes at a time, then two, then one.
    j = 0;
    for (; j + 7 < k; j += 8) {
      const e0 = z[j] as number;
      const e1 = z[j + 1] as number;
      const e2 = z[j + 2] as number;
      const e3 = z[j + 3] as number;
      const e4 = z[j + 4] as number;
      const e5 = z[j + 5] as number;
      const e6 = z[j + 6] as number;
      const e7 = z[j + 7] as number;
      for (let i = 0, at = j; i < d; i++, at += k) {
        const xi = xr[i] as number;
        if (xi === 0) continue;
        g[at] = (g[at] as number) + xi * e0;
        g[at + 1] = (g[at + 1] as number) + xi * e1;
        g[at + 2] = (g[at + 2] as number) + xi * e2;
        g[at + 3] = (g[at + 3] as number) + xi * e3;
        g[at + 4] = (g[at + 4] as number) + xi * e4;
        g[at + 5] = (g[at + 5] as number) + xi * e5;
        g[at + 6] = (g[at + 6] as number) + xi * e6;
        g[at + 7] = (g[at + 7] as number) + xi * e7;
      }
    }
    for (; j + 1 < k; j += 2) {
      const e0 = z[j] as number;
      const e1 = z[j + 1] as number;
      for (let i = 0, at = j; i < d; i++, at += k) {
        const xi = xr[i] as number;
        if (xi === 0) continue;
        g[at] = (g[at] as number) + xi * e0;
        g[at + 1] = (g[at + 1] as number) + xi * e1;
      }
    }
    for (; j < k; j++) {
      const e0 = z[j] as number;
      for (let i = 0, at = j; i < d; i++, at += k) {
        const xi = xr[i] as number;
        if (xi === 0) continue;
        g[at] = (g[at] as number) + xi * e0;
      }
    }
  }
  let sq = 0;
  for (let i = 0; i < p; i++) {
    const t = th[i] as number;
    sq += t * t;
    g[i] = (g[i] as number) / n + l2 * t;
  }
  return { loss: loss / n + (l2 / 2) * sq, gradient: g };
}

/** ∇F(θ) in float64. */
export const softmaxRegressionGradient = (
  theta: ArrayLike<number>,
  rows: SoftmaxRows,
  l2: number,
): Float64Array => softmaxRegressionLossAndGradient(theta, rows, l2).gradient;

/**
 * The dense Hessian ∇²F(θ) (p × p, row-major), p = (d + 1)·k: (1/n)·Σ (diag(p) − ppᵀ) ⊗ x̃x̃ᵀ + l2·I
 * in the flat layout (index i·k + j, the bias as row i = d). O(n·p²): small problems (oracles).
 */
export function softmaxRegressionHessian(
  theta: ArrayLike<number>,
  rows: SoftmaxRows,
  l2: number,
): Float64Array {
  const n = check(theta, rows);
  const { dim: d, classes: k } = rows;
  const p = softmaxParamCount(d, k);
  const H = new Float64Array(p * p);
  const z = new Float64Array(k);
  const xt = new Float64Array(d + 1);
  for (let r = 0; r < n; r++) {
    const off = r * d;
    logits(theta, rows.features, off, d, k, z);
    softmaxInPlace(z);
    for (let i = 0; i < d; i++) xt[i] = rows.features[off + i] as number;
    xt[d] = 1;
    for (let i = 0; i <= d; i++) {
      for (let j = 0; j < k; j++) {
        const a = i * k + j;
        for (let i2 = 0; i2 <= d; i2++) {
          const xx = (xt[i] as number) * (xt[i2] as number);
          if (xx === 0) continue;
          for (let j2 = 0; j2 < k; j2++) {
            const c = (j === j2 ? (z[j] as number) : 0) - (z[j] as number) * (z[j2] as number);
            const b = i2 * k + j2;
            H[a * p + b] = (H[a * p + b] as number) + xx * c;
          }
        }
      }
    }
  }
  for (let a = 0; a < p * p; a++) H[a] = (H[a] as number) / n;
  for (let a = 0; a < p; a++) H[a * p + a] = (H[a * p + a] as number) + l2;
  return H;
}

/** Row-wise softmax probabilities at θ (n × k, row-major): what every HVP at θ reuses. */
export function softmaxProbabilities(theta: ArrayLike<number>, rows: SoftmaxRows): Float64Array {
  const n = check(theta, rows);
  const { dim: d, classes: k } = rows;
  const P = new Float64Array(n * k);
  const z = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    logits(theta, rows.features, r * d, d, k, z);
    softmaxInPlace(z);
    P.set(z, r * k);
  }
  return P;
}

/**
 * (∇²F(θ))·v in float64 without forming the Hessian, from the probabilities P at θ: per row,
 * u = Vᵀx̃ (k), r = p ⊙ u − p·(pᵀu), then (1/n)·Σ x̃ rᵀ + l2·v. Two passes over the rows.
 */
export function softmaxRegressionHvp(
  rows: SoftmaxRows,
  probabilities: Float64Array,
  v: ArrayLike<number>,
  l2: number,
): Float64Array {
  const n = check(v, rows);
  const { dim: d, classes: k } = rows;
  if (probabilities.length !== n * k) fail('probabilities must be [n × classes]');
  const out = new Float64Array(v.length);
  const u = new Float64Array(k);
  const x = rows.features;
  const biasAt = d * k;
  for (let r = 0; r < n; r++) {
    const off = r * d;
    logits(v, x, off, d, k, u);
    let pu = 0;
    for (let j = 0; j < k; j++) pu += (probabilities[r * k + j] as number) * (u[j] as number);
    for (let j = 0; j < k; j++) {
      const pj = probabilities[r * k + j] as number;
      u[j] = pj * ((u[j] as number) - pu);
    }
    for (let j = 0; j < k; j++) out[biasAt + j] = (out[biasAt + j] as number) + (u[j] as number);
    for (let i = 0; i < d; i++) {
      const xi = x[off + i] as number;
      if (xi === 0) continue;
      const row = i * k;
      for (let j = 0; j < k; j++) out[row + j] = (out[row + j] as number) + xi * (u[j] as number);
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / n + l2 * (v[i] as number);
  return out;
}

/**
 * Conjugate gradient in float64 for A x = b, A symmetric positive definite given as a product;
 * stops at ‖b − A x‖ ≤ tolerance·‖b‖ (recursive residual) or after maxIterations.
 */
export function conjugateGradient64(
  apply: (v: Float64Array) => Float64Array,
  b: Float64Array,
  tolerance: number,
  maxIterations: number,
): { readonly solution: Float64Array; readonly iterations: number } {
  const p = b.length;
  const x = new Float64Array(p);
  const r = Float64Array.from(b);
  const dir = Float64Array.from(b);
  let rr = 0;
  for (const v of r) rr += v * v;
  const stop = tolerance * tolerance * rr;
  let it = 0;
  for (; it < maxIterations && rr > stop && rr > 0; it++) {
    const ad = apply(dir);
    let dad = 0;
    for (let i = 0; i < p; i++) dad += (dir[i] as number) * (ad[i] as number);
    if (!(dad > 0)) fail('conjugate gradient met non-positive curvature', { iteration: it });
    const alpha = rr / dad;
    let rrNew = 0;
    for (let i = 0; i < p; i++) {
      x[i] = (x[i] as number) + alpha * (dir[i] as number);
      r[i] = (r[i] as number) - alpha * (ad[i] as number);
      rrNew += (r[i] as number) ** 2;
    }
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < p; i++) dir[i] = (r[i] as number) + beta * (dir[i] as number);
  }
  return { solution: x, iterations: it };
}
