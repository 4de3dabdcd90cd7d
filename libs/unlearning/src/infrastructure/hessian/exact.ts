import { tf, type Tensor1D } from '../tf/tf';
import { unlearningError, EngineErrorCode } from '../../application/errors';
import { yieldToEventLoop, type ProgressCallback } from '../../application/progress';
import type { SymmetricOperator } from './operator';
import { cholesky, choleskySolve, luSolve } from './dense';

/** Above this many parameters a dense Hessian (p² float64) is refused. */
export const DEFAULT_MAX_DENSE_PARAMS = 4096;

/**
 * The dense matrix of a symmetric operator, column by column (p HVPs with the unit vectors),
 * symmetrised as (A + Aᵀ)/2, in float64.
 */
export const denseMatrix = async (
  op: SymmetricOperator,
  opts: { maxParams?: number; onProgress?: ProgressCallback } = {},
): Promise<Float64Array> => {
  const p = op.size;
  const max = opts.maxParams ?? DEFAULT_MAX_DENSE_PARAMS;
  if (p > max) {
    throw unlearningError(
      EngineErrorCode.ExactSolveTooLarge,
      `a dense Hessian for ${p} parameters is refused (limit ${max})`,
      { parameters: p, limit: max },
    );
  }
  const a = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    const col = tf.tidy(() => {
      const e = tf
        .oneHot(tf.tensor1d([j], 'int32'), p)
        .reshape([p])
        .toFloat() as Tensor1D;
      return op.apply(e);
    });
    const values = col.dataSync();
    col.dispose();
    for (let i = 0; i < p; i++) a[i * p + j] = values[i] as number;
    if ((j + 1) % 64 === 0 || j + 1 === p) {
      opts.onProgress?.({ phase: 'exact-hessian', done: j + 1, total: p });
      await yieldToEventLoop();
    }
  }
  for (let i = 0; i < p; i++) {
    for (let j = i + 1; j < p; j++) {
      const s = 0.5 * ((a[i * p + j] as number) + (a[j * p + i] as number));
      a[i * p + j] = s;
      a[j * p + i] = s;
    }
  }
  return a;
};

/**
 * Exact solve (A)⁻¹ b with A built densely: Cholesky when A is positive definite (the theorem's
 * condition λ + λ_min > 0), else LU when `allowIndefinite` (the update is then still defined but
 * the certificate's bound does not apply; `method` says which ran, and certified mode refuses
 * 'lu'), else HESSIAN_NOT_POSITIVE_DEFINITE.
 */
export const exactInverseHvp = async (
  op: SymmetricOperator,
  b: ArrayLike<number>,
  opts: { maxParams?: number; allowIndefinite?: boolean; onProgress?: ProgressCallback } = {},
): Promise<{ solution: Float64Array; method: 'cholesky' | 'lu'; matrix: Float64Array }> => {
  const a = await denseMatrix(op, opts);
  const p = op.size;
  try {
    const l = cholesky(a, p);
    return { solution: choleskySolve(l, p, b), method: 'cholesky', matrix: a };
  } catch (e) {
    if (!opts.allowIndefinite) throw e;
    return { solution: luSolve(a, p, b), method: 'lu', matrix: a };
  }
};
