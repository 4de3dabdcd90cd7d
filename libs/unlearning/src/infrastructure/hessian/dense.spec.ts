import { cholesky, choleskySolve, luSolve, matVec, symmetricEigenvalues } from './dense';

describe('dense float64 algebra', () => {
  const a = Float64Array.from([4, 1, 0.5, 1, 3, -0.2, 0.5, -0.2, 2]);
  const b = [1, 2, 3];

  it('Cholesky and LU solve a symmetric positive definite system', () => {
    const x = choleskySolve(cholesky(a, 3), 3, b);
    const r = matVec(a, 3, x);
    r.forEach((v, i) => expect(v).toBeCloseTo(b[i] as number, 12));
    const y = luSolve(a, 3, b);
    y.forEach((v, i) => expect(v).toBeCloseTo(x[i] as number, 12));
  });

  it('Cholesky refuses an indefinite matrix; LU still solves it', () => {
    const ind = Float64Array.from([1, 2, 2, 1]);
    expect(() => cholesky(ind, 2)).toThrow(
      expect.objectContaining({ code: 'HESSIAN_NOT_POSITIVE_DEFINITE' }),
    );
    const x = luSolve(ind, 2, [3, 3]);
    expect(x[0]).toBeCloseTo(1, 12);
    expect(x[1]).toBeCloseTo(1, 12);
  });

  it('Jacobi eigenvalues match a known spectrum', () => {
    // [[2,1],[1,2]] has eigenvalues 1 and 3; diag(−1, 5) appended as a block.
    const m = Float64Array.from([2, 1, 0, 0, 1, 2, 0, 0, 0, 0, -1, 0, 0, 0, 0, 5]);
    const ev = symmetricEigenvalues(m, 4);
    expect(Array.from(ev).map((v) => +v.toFixed(10))).toEqual([-1, 1, 3, 5]);
  });
});
