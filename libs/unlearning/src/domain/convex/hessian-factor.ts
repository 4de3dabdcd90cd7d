/**
 * The kept Hessian factor of `convex-newton` (docs/adr/0011-convex-newton.md, "The kept factor"):
 * a dense Cholesky factor of the softmax regression's curvature, built once when the model is
 * trained and downdated by each request's removed rows, so that a request solves its Newton system
 * with two triangular solves instead of a conjugate-gradient run of full-data Hessian-vector
 * products.
 *
 * With x̃ = [x; 1] and q = softmax(Wᵀx + b) at the centre w_ref, one row's curvature is
 * (diag(q) − qqᵀ) ⊗ x̃x̃ᵀ = Σⱼ vⱼvⱼᵀ with vⱼ = √qⱼ(eⱼ − q) ⊗ x̃ (index a·k + j of the flat layout,
 * domain/convex/softmax-regression.ts). The factor holds
 *
 *   S = Σ_{rows kept} (diag(q) − qqᵀ) ⊗ x̃x̃ᵀ + ridge·I,   S = UᵀU (U upper triangular, row-major),
 *
 * with ridge = n₀·λ fixed when it was built on n₀ rows. Removing a row is k rank-one downdates of U
 * (O(k·p²)); the Hessian of F_r at w_ref is then (S − (n₀ − n_r)·λ·I)/n_r, which S/n_r approximates
 * to the relative error (n₀ − n_r)/n_r in the ridge. The factor is a preconditioner: it never
 * enters a bound. Whatever it is, a release is certified only by the float64 gradient check.
 */
import { UnlearningError, UnlearningErrorCodes } from '../errors';
import { softmaxParamCount, type SoftmaxRows } from './softmax-regression';

export interface SoftmaxHessianFactor {
  /** U, p × p row-major, upper triangular (below the diagonal: unused). PRIVATE. */
  readonly upper: Float64Array;
  readonly p: number;
  readonly dim: number;
  readonly classes: number;
  /** The (float32) centre w_ref the curvature was taken at. PRIVATE. */
  readonly centre: Float32Array;
  /** Rows whose curvature S holds (n₀ minus the rows downdated since). */
  readonly rows: number;
  /** The ridge of S (n₀·λ). */
  readonly ridge: number;
  /** Rank-one downdates applied since it was built. */
  readonly downdates: number;
  /**
   * The float64 gradient ∇F of the objective over the rows S holds, at the chain's current centre
   * `at` (the last check's gradient), so that the next request's first gradient on D_r costs
   * O(n_u·d·k) (`gradientWithoutRows`) instead of a full pass. PRIVATE. Only ever used to choose a
   * step: the check is always a fresh full gradient.
   */
  readonly lastGradient?: {
    readonly at: Float32Array;
    readonly gradient: Float64Array;
  };
}

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.MODEL_INVALID_INPUT, message, details);
};

/** Softmax of the logits of row `r` at θ into q (length k). */
const rowProbabilities = (
  theta: ArrayLike<number>,
  x: ArrayLike<number>,
  offset: number,
  d: number,
  k: number,
  q: Float64Array,
): void => {
  const biasAt = d * k;
  for (let j = 0; j < k; j++) q[j] = theta[biasAt + j] as number;
  for (let i = 0; i < d; i++) {
    const xi = x[offset + i] as number;
    if (xi === 0) continue;
    const row = i * k;
    for (let j = 0; j < k; j++) q[j] = (q[j] as number) + xi * (theta[row + j] as number);
  }
  let m = -Infinity;
  for (const v of q) if (v > m) m = v;
  let s = 0;
  for (let j = 0; j < k; j++) {
    const e = Math.exp((q[j] as number) - m);
    q[j] = e;
    s += e;
  }
  for (let j = 0; j < k; j++) q[j] = (q[j] as number) / s;
};

/**
 * S = Σᵣ (diag(qᵣ) − qᵣqᵣᵀ) ⊗ x̃ᵣx̃ᵣᵀ + ridge·I at θ, dense p × p (both triangles), in float64.
 * Accumulated per pair (a ≤ b) of x̃'s entries over the k(k+1)/2 distinct class pairs, skipping zero
 * features: O(n·nnz(x̃)²·k²/4).
 */
export function softmaxCurvatureSum(
  theta: ArrayLike<number>,
  rows: SoftmaxRows,
  ridge: number,
): Float64Array {
  const { dim: d, classes: k } = rows;
  const n = rows.labels.length;
  const p = softmaxParamCount(d, k);
  if (theta.length !== p) fail('theta must have (dim + 1)·classes entries');
  const D = d + 1;
  const kk = (k * (k + 1)) / 2;
  const pairs = (D * (D + 1)) / 2;
  const T = new Float64Array(pairs * kk);
  const q = new Float64Array(k);
  const a = new Float64Array(kk);
  const xt = new Float64Array(D);
  const nz = new Int32Array(D);
  const x = rows.features;
  // pair (a ≤ b) → a·D − a(a−1)/2 + (b − a)
  const pairIndex = (i: number, j: number): number => i * D - (i * (i - 1)) / 2 + (j - i);
  for (let r = 0; r < n; r++) {
    const off = r * d;
    rowProbabilities(theta, x, off, d, k, q);
    let t = 0;
    for (let j = 0; j < k; j++) {
      const qj = q[j] as number;
      for (let j2 = j; j2 < k; j2++) a[t++] = (j === j2 ? qj : 0) - qj * (q[j2] as number);
    }
    let m = 0;
    for (let i = 0; i < d; i++) {
      const v = x[off + i] as number;
      if (v !== 0) {
        xt[i] = v;
        nz[m++] = i;
      }
    }
    xt[d] = 1;
    nz[m++] = d;
    for (let s1 = 0; s1 < m; s1++) {
      const i = nz[s1] as number;
      const xi = xt[i] as number;
      const rowBase = i * D - (i * (i - 1)) / 2 - i;
      for (let s2 = s1; s2 < m; s2++) {
        const j = nz[s2] as number;
        const xx = xi * (xt[j] as number);
        const base = (rowBase + j) * kk;
        for (let u = 0; u < kk; u++) T[base + u] = (T[base + u] as number) + xx * (a[u] as number);
      }
    }
  }
  const S = new Float64Array(p * p);
  const cls = new Int32Array(k * k);
  for (let j = 0, t = 0; j < k; j++)
    for (let j2 = j; j2 < k; j2++, t++) {
      cls[j * k + j2] = t;
      cls[j2 * k + j] = t;
    }
  for (let i = 0; i < D; i++) {
    for (let i2 = i; i2 < D; i2++) {
      const base = pairIndex(i, i2) * kk;
      for (let j = 0; j < k; j++) {
        const row = i * k + j;
        for (let j2 = 0; j2 < k; j2++) {
          const col = i2 * k + j2;
          const v = T[base + (cls[j * k + j2] as number)] as number;
          S[row * p + col] = v;
          S[col * p + row] = v;
        }
      }
    }
  }
  for (let i = 0; i < p; i++) S[i * p + i] = (S[i * p + i] as number) + ridge;
  return S;
}

/** Upper Cholesky factor U of a symmetric positive definite S (UᵀU = S), right-looking, in place on a copy. */
export function choleskyUpper(S: Float64Array, p: number): Float64Array {
  if (S.length !== p * p) fail('S must be p × p');
  const U = Float64Array.from(S);
  for (let i = 0; i < p; i++) {
    const ii = i * p;
    const d = U[ii + i] as number;
    if (!(d > 0)) fail('matrix is not positive definite', { row: i });
    const piv = Math.sqrt(d);
    U[ii + i] = piv;
    for (let j = i + 1; j < p; j++) U[ii + j] = (U[ii + j] as number) / piv;
    for (let r = i + 1; r < p; r++) {
      const uir = U[ii + r] as number;
      if (uir === 0) continue;
      const rr = r * p;
      for (let j = r; j < p; j++) U[rr + j] = (U[rr + j] as number) - uir * (U[ii + j] as number);
    }
  }
  for (let i = 1; i < p; i++) U.fill(0, i * p, i * p + i);
  return U;
}

/** x with UᵀU x = b (forward then backward substitution, row-oriented). */
export function choleskyUpperSolve(U: Float64Array, p: number, b: ArrayLike<number>): Float64Array {
  if (b.length !== p) fail('right-hand side must have p entries');
  const y = Float64Array.from(b);
  for (let i = 0; i < p; i++) {
    const ii = i * p;
    const yi = (y[i] as number) / (U[ii + i] as number);
    y[i] = yi;
    if (yi === 0) continue;
    for (let j = i + 1; j < p; j++) y[j] = (y[j] as number) - (U[ii + j] as number) * yi;
  }
  for (let i = p - 1; i >= 0; i--) {
    const ii = i * p;
    let s = y[i] as number;
    for (let j = i + 1; j < p; j++) s -= (U[ii + j] as number) * (y[j] as number);
    y[i] = s / (U[ii + i] as number);
  }
  return y;
}

/**
 * UᵀU − vvᵀ in place (hyperbolic rotations, LINPACK dchdd; the one-vector case of
 * `choleskyUpperDowndateMany`); v is consumed. Throws when the result would not be positive
 * definite.
 */
export function choleskyUpperDowndate(U: Float64Array, p: number, v: Float64Array): void {
  choleskyUpperDowndateMany(U, p, v, 1);
}

/** Builds the factor of S at `centre` over `rows` with ridge rows·λ. O(n·nnz²·k²/4 + p³/3). */
export function buildSoftmaxHessianFactor(
  centre: Float32Array,
  rows: SoftmaxRows,
  l2: number,
): SoftmaxHessianFactor {
  const n = rows.labels.length;
  if (n < 1) fail('no rows');
  if (!(l2 > 0)) fail('the ridge needs l2 > 0', { l2 });
  const p = softmaxParamCount(rows.dim, rows.classes);
  const ridge = n * l2;
  const upper = choleskyUpper(softmaxCurvatureSum(centre, rows, ridge), p);
  return {
    upper,
    p,
    dim: rows.dim,
    classes: rows.classes,
    centre: Float32Array.from(centre),
    rows: n,
    ridge,
    downdates: 0,
  };
}

/**
 * UᵀU − Σₜ vₜvₜᵀ in place for the m vectors of `V` (m × p, row-major; consumed), in one pass over
 * U's rows: at row r, the m hyperbolic rotations are applied one after the other. Row r of U is
 * final for vector t once rotation (t, r) is applied, and vector t's entries at rows > r depend only
 * on rows ≤ r, so this performs exactly the floating-point operations of m sequential
 * `choleskyUpperDowndate` calls in the same order per entry (bit-identical), while reading U once
 * instead of m times (U is p² doubles, 3.4 MB at p = 650: memory-bound). Throws when the result
 * would not be positive definite.
 */
export function choleskyUpperDowndateMany(
  U: Float64Array,
  p: number,
  V: Float64Array,
  m: number,
): void {
  if (V.length !== m * p) fail('V must be m × p');
  // Each vector starts at its first non-zero entry, as `choleskyUpperDowndate` does.
  const firstOf = new Int32Array(m);
  let first = p;
  for (let t = 0; t < m; t++) {
    let f = 0;
    while (f < p && V[t * p + f] === 0) f++;
    firstOf[t] = f;
    if (f < first) first = f;
  }
  for (let k = first; k < p; k++) {
    const kk = k * p;
    for (let t = 0; t < m; t++) {
      if (k < (firstOf[t] as number)) continue;
      const vt = t * p;
      const vk = V[vt + k] as number;
      const ukk = U[kk + k] as number;
      const r2 = ukk * ukk - vk * vk;
      if (!(r2 > 0)) fail('downdate would lose positive definiteness', { row: k });
      const r = Math.sqrt(r2);
      const c = r / ukk;
      const s = vk / ukk;
      U[kk + k] = r;
      if (vk === 0) continue;
      for (let j = k + 1; j < p; j++) {
        const u = ((U[kk + j] as number) - s * (V[vt + j] as number)) / c;
        U[kk + j] = u;
        V[vt + j] = c * (V[vt + j] as number) - s * u;
      }
    }
  }
}

/**
 * A new factor without the curvature of `removed` (rows that S holds), taken at the factor's own
 * centre: k rank-one downdates per row (a row whose class probability is 0 contributes nothing),
 * applied row by row of the removed data in one pass over U each (`choleskyUpperDowndateMany`).
 */
export function downdateSoftmaxHessianFactor(
  f: SoftmaxHessianFactor,
  removed: SoftmaxRows,
): SoftmaxHessianFactor {
  const { dim: d, classes: k, p } = f;
  if (removed.dim !== d || removed.classes !== k) fail('removed rows do not fit the factor');
  const m = removed.labels.length;
  if (m >= f.rows) fail('cannot remove every row of the factor', { m, rows: f.rows });
  const upper = Float64Array.from(f.upper);
  const q = new Float64Array(k);
  const V = new Float64Array(k * p);
  let downdates = f.downdates;
  for (let r = 0; r < m; r++) {
    const off = r * d;
    rowProbabilities(f.centre, removed.features, off, d, k, q);
    let used = 0;
    for (let j = 0; j < k; j++) {
      const sq = Math.sqrt(q[j] as number);
      if (sq === 0) continue;
      // vⱼ = √qⱼ(eⱼ − q) ⊗ x̃ at index a·k + j'.
      const vt = used * p;
      for (let a = 0; a <= d; a++) {
        const xa = a === d ? 1 : (removed.features[off + a] as number);
        const base = vt + a * k;
        if (xa === 0) {
          V.fill(0, base, base + k);
          continue;
        }
        for (let j2 = 0; j2 < k; j2++)
          V[base + j2] = xa * sq * ((j === j2 ? 1 : 0) - (q[j2] as number));
      }
      used++;
    }
    choleskyUpperDowndateMany(upper, p, used === k ? V : V.subarray(0, used * p), used);
    downdates += used;
  }
  const { lastGradient: _stale, ...rest } = f;
  return { ...rest, upper, rows: f.rows - m, downdates };
}

/**
 * The approximate Newton direction x = (S/n_r)⁻¹·g = n_r·S⁻¹g for a problem on `rows` = n_r rows.
 */
export const keptFactorDirection = (
  f: SoftmaxHessianFactor,
  gradient: ArrayLike<number>,
  rows: number,
): Float64Array => {
  const x = choleskyUpperSolve(f.upper, f.p, gradient);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * rows;
  return x;
};

/**
 * ∇F_r(w) from ∇F_D(w) (n rows) without the m rows of `removed`:
 * ∇F_r = (n·(∇F_D − λw) − Σ_u ∇ℓ_u(w))/(n − m) + λw, with ∇ℓ_u = x̃_u(q_u − e_{y_u})ᵀ. O(m·d·k).
 */
export function gradientWithoutRows(
  w: ArrayLike<number>,
  fullGradient: Float64Array,
  n: number,
  removed: SoftmaxRows,
  l2: number,
): Float64Array {
  const { dim: d, classes: k } = removed;
  const m = removed.labels.length;
  if (m >= n) fail('cannot remove every row', { m, n });
  const g = new Float64Array(fullGradient.length);
  for (let i = 0; i < g.length; i++)
    g[i] = n * ((fullGradient[i] as number) - l2 * (w[i] as number));
  const q = new Float64Array(k);
  const biasAt = d * k;
  for (let r = 0; r < m; r++) {
    const off = r * d;
    rowProbabilities(w, removed.features, off, d, k, q);
    const y = removed.labels[r] as number;
    q[y] = (q[y] as number) - 1;
    for (let j = 0; j < k; j++) g[biasAt + j] = (g[biasAt + j] as number) - (q[j] as number);
    for (let i = 0; i < d; i++) {
      const xi = removed.features[off + i] as number;
      if (xi === 0) continue;
      for (let j = 0; j < k; j++) g[i * k + j] = (g[i * k + j] as number) - xi * (q[j] as number);
    }
  }
  for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) / (n - m) + l2 * (w[i] as number);
  return g;
}
