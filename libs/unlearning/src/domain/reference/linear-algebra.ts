import { UnlearningError, UnlearningErrorCodes } from '../errors';

/**
 * Small dense float64 linear algebra for oracles and tests (p up to a few hundred): vectors are
 * Float64Array, matrices are row-major Float64Array of size n·n.
 */

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.MODEL_INVALID_INPUT, message, details);
};

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) fail('dot: length mismatch', { a: a.length, b: b.length });
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm2(a: ArrayLike<number>): number {
  // Scaled to avoid overflow/underflow on extreme values.
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]!));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const t = a[i]! / scale;
    s += t * t;
  }
  return scale * Math.sqrt(s);
}

/** y = A·x for a row-major n×n matrix. */
export function matVec(A: Float64Array, x: Float64Array): Float64Array {
  const n = x.length;
  if (A.length !== n * n) fail('matVec: shape mismatch', { A: A.length, n });
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) s += A[row + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

/** Builds the dense n×n matrix of a linear operator from n applications to the unit vectors. */
export function denseFromOperator(
  n: number,
  apply: (v: Float64Array) => Float64Array,
): Float64Array {
  const A = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = apply(e);
    for (let i = 0; i < n; i++) A[i * n + j] = col[i]!;
  }
  return A;
}

/** Lower-triangular Cholesky factor L (row-major) of a symmetric positive definite matrix. */
export function cholesky(A: Float64Array, n: number): Float64Array {
  if (A.length !== n * n) fail('cholesky: shape mismatch', { A: A.length, n });
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) fail('cholesky: matrix is not positive definite', { pivot: i, value: s });
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j]!;
      }
    }
  }
  return L;
}

/** Solves A x = b for symmetric positive definite A (Cholesky). */
export function choleskySolve(A: Float64Array, b: Float64Array): Float64Array {
  const n = b.length;
  const L = cholesky(A, n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/**
 * All eigenvalues of a symmetric matrix, ascending (cyclic Jacobi rotations; O(n³) per sweep,
 * meant for n ≲ 300). The matrix is symmetrised as (A + Aᵀ)/2 first.
 */
export function symmetricEigenvalues(A: Float64Array, n: number, maxSweeps = 100): Float64Array {
  if (A.length !== n * n) fail('symmetricEigenvalues: shape mismatch', { A: A.length, n });
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (A[i * n + j]! + A[j * n + i]!);
  }
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j]! ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = a[i * n + i]!;
  return ev.sort();
}
