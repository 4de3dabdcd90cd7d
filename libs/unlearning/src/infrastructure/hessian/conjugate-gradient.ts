import { unlearningError, EngineErrorCode } from '../../application/errors';
import { yieldToEventLoop, type ProgressCallback } from '../../application/progress';
import { applyHost, type SymmetricOperator } from './operator';

export interface CgResult {
  readonly solution: Float64Array;
  readonly iterations: number;
  /** ||b − A x|| / ||b|| at the end (recursive residual). */
  readonly relativeResidual: number;
}

/**
 * Conjugate gradient for A x = b with A = damped Hessian (must be positive definite on the Krylov
 * space: a non-positive curvature pᵀAp <= 0 throws CG_NEGATIVE_CURVATURE). Vectors in float64 on
 * the host; A·p through HVPs. Throws CG_NOT_CONVERGED when `maxIterations` is hit and `strict`.
 */
export const conjugateGradient = async (
  op: SymmetricOperator,
  b: ArrayLike<number>,
  opts: {
    tolerance?: number;
    maxIterations?: number;
    strict?: boolean;
    onProgress?: ProgressCallback;
  } = {},
): Promise<CgResult> => {
  const p = op.size;
  const tol = opts.tolerance ?? 1e-6;
  const maxIt = opts.maxIterations ?? Math.min(p, 500);
  const x = new Float64Array(p);
  const r = Float64Array.from(b);
  const d = Float64Array.from(r);
  const bNorm = Math.sqrt(r.reduce((s, v) => s + v * v, 0));
  if (bNorm === 0) return { solution: x, iterations: 0, relativeResidual: 0 };
  let rr = bNorm * bNorm;
  let it = 0;
  for (; it < maxIt && Math.sqrt(rr) > tol * bNorm; it++) {
    const ad = applyHost(op, d);
    let dad = 0;
    for (let i = 0; i < p; i++) dad += (d[i] as number) * (ad[i] as number);
    if (!(dad > 0)) {
      throw unlearningError(
        EngineErrorCode.CgNegativeCurvature,
        'non-positive curvature in CG: the damped Hessian is not positive definite',
        {
          iteration: it,
          curvature: dad,
        },
      );
    }
    const alpha = rr / dad;
    let rrNew = 0;
    for (let i = 0; i < p; i++) {
      x[i] = (x[i] as number) + alpha * (d[i] as number);
      r[i] = (r[i] as number) - alpha * (ad[i] as number);
      rrNew += (r[i] as number) ** 2;
    }
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < p; i++) d[i] = (r[i] as number) + beta * (d[i] as number);
    if ((it + 1) % 10 === 0) {
      opts.onProgress?.({
        phase: 'cg',
        done: it + 1,
        total: maxIt,
        detail: { residual: Math.sqrt(rr) / bNorm },
      });
      await yieldToEventLoop();
    }
  }
  const rel = Math.sqrt(rr) / bNorm;
  if (rel > tol && opts.strict) {
    throw unlearningError(
      EngineErrorCode.CgNotConverged,
      `CG stopped at relative residual ${rel}`,
      {
        iterations: it,
        relativeResidual: rel,
      },
    );
  }
  return { solution: x, iterations: it, relativeResidual: rel };
};
