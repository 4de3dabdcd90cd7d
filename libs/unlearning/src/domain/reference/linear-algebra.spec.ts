import { createRng, gaussianVector } from '../random';
import {
  choleskySolve,
  denseFromOperator,
  dot,
  matVec,
  norm2,
  symmetricEigenvalues,
} from './linear-algebra';

describe('dense linear algebra', () => {
  it('dot and norm2 (including overflow-safe scaling)', () => {
    expect(dot([1, 2, 3], [4, 5, 6])).toBe(32);
    expect(norm2([3, 4])).toBe(5);
    expect(norm2([3e200, 4e200])).toBeCloseTo(5e200, -190);
    expect(norm2([])).toBe(0);
  });

  it('Cholesky solve of an SPD system has a tiny residual', () => {
    const n = 8;
    const B = gaussianVector(createRng(1), n * n);
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = i === j ? 0.5 : 0;
        for (let k = 0; k < n; k++) s += B[i * n + k]! * B[j * n + k]!;
        A[i * n + j] = s;
      }
    }
    const b = gaussianVector(createRng(2), n);
    const x = choleskySolve(A, b);
    const r = matVec(A, x).map((v, i) => v - b[i]!);
    expect(norm2(r)).toBeLessThan(1e-12 * norm2(b));
    expect(() => choleskySolve(new Float64Array([1, 2, 2, 1]), new Float64Array([1, 1]))).toThrow();
  });

  it('Jacobi eigenvalues recover a known spectrum Q·diag(λ)·Qᵀ', () => {
    const n = 6;
    const lambdas = [-3, -0.5, 0, 1, 2.5, 10];
    const u = gaussianVector(createRng(3), n);
    const uu = dot(u, u);
    // Householder reflection Q = I − 2uuᵀ/uᵀu is orthogonal and symmetric.
    const Q = (i: number, j: number): number => (i === j ? 1 : 0) - (2 * u[i]! * u[j]!) / uu;
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += Q(i, k) * lambdas[k]! * Q(j, k);
        A[i * n + j] = s;
      }
    }
    const ev = symmetricEigenvalues(A, n);
    lambdas.forEach((l, i) => expect(ev[i]!).toBeCloseTo(l, 12));
  });

  it('denseFromOperator reconstructs a matrix from its action', () => {
    const A = new Float64Array([1, 2, 3, 4]);
    expect(Array.from(denseFromOperator(2, (v) => matVec(A, v)))).toEqual([1, 2, 3, 4]);
  });
});
