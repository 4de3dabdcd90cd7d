/**
 * Dense float64 linear algebra in plain TypeScript for small parameter counts: the exact oracle
 * for LiSSA/CG and the spectrum (Cholesky, LU with partial pivoting, cyclic Jacobi eigenvalues).
 * Matrices are row-major Float64Array of size n×n.
 */
import { unlearningError, EngineErrorCode } from '../../application/errors';

/** Cholesky factor L (lower, row-major) of a symmetric positive definite A; throws if not PD. */
export const cholesky = (a: Float64Array, n: number): Float64Array => {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
      if (i === j) {
        if (!(s > 0)) {
          throw unlearningError(
            EngineErrorCode.NotPositiveDefinite,
            'matrix is not positive definite',
            {
              pivot: i,
              value: s,
            },
          );
        }
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / (l[j * n + j] as number);
      }
    }
  }
  return l;
};

export const choleskySolve = (l: Float64Array, n: number, b: ArrayLike<number>): Float64Array => {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * n + k] as number) * (y[k] as number);
    y[i] = s / (l[i * n + i] as number);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < n; k++) s -= (l[k * n + i] as number) * (x[k] as number);
    x[i] = s / (l[i * n + i] as number);
  }
  return x;
};

/** Solves A x = b by LU with partial pivoting (A need not be definite); throws if singular. */
export const luSolve = (a: Float64Array, n: number, b: ArrayLike<number>): Float64Array => {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) {
      if (Math.abs(m[r * n + c] as number) > Math.abs(m[piv * n + c] as number)) piv = r;
    }
    const pv = m[piv * n + c] as number;
    if (pv === 0 || !Number.isFinite(pv)) {
      throw unlearningError(EngineErrorCode.NotPositiveDefinite, 'matrix is singular', {
        column: c,
      });
    }
    if (piv !== c) {
      for (let k = 0; k < n; k++) {
        const t = m[c * n + k] as number;
        m[c * n + k] = m[piv * n + k] as number;
        m[piv * n + k] = t;
      }
      const t = x[c] as number;
      x[c] = x[piv] as number;
      x[piv] = t;
    }
    for (let r = c + 1; r < n; r++) {
      const f = (m[r * n + c] as number) / pv;
      if (f === 0) continue;
      for (let k = c; k < n; k++)
        m[r * n + k] = (m[r * n + k] as number) - f * (m[c * n + k] as number);
      x[r] = (x[r] as number) - f * (x[c] as number);
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i] as number;
    for (let k = i + 1; k < n; k++) s -= (m[i * n + k] as number) * (x[k] as number);
    x[i] = s / (m[i * n + i] as number);
  }
  return x;
};

/** All eigenvalues (ascending) of a symmetric matrix by cyclic Jacobi rotations. O(n³) per sweep. */
export const symmetricEigenvalues = (a: Float64Array, n: number, maxSweeps = 100): Float64Array => {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = (m[i * n + j] as number) ** 2;
        total += v;
        if (i !== j) off += v;
      }
    }
    if (off <= 1e-30 * Math.max(total, 1e-300)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const app = m[p * n + p] as number;
        const aqq = m[q * n + q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p] as number;
          const akq = m[k * n + q] as number;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k] as number;
          const aqk = m[q * n + k] as number;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = m[i * n + i] as number;
  return ev.sort();
};

/** y = A x for a row-major dense matrix. */
export const matVec = (a: Float64Array, n: number, x: ArrayLike<number>): Float64Array => {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (x[k] as number);
    y[i] = s;
  }
  return y;
};
