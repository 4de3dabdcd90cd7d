import { unlearningError, EngineErrorCode } from '../../application/errors';
import { yieldToEventLoop, type ProgressCallback } from '../../application/progress';
import { applyHost, type SymmetricOperator } from './operator';

export interface CgResult {
  readonly solution: Float64Array;
  readonly iterations: number;
  /**
   * TRUE relative residual ||b − A x|| / ||b|| at the returned x, computed with one more operator
   * application after the iterations (what enters the certified bound).
   */
  readonly relativeResidual: number;
  /** The recursive residual CG tracked (drifts below the true one in finite precision). */
  readonly recursiveResidual: number;
}

/**
 * Conjugate gradient for A x = b with A = damped Hessian (must be positive definite on the Krylov
 * space: a non-positive curvature pᵀAp <= 0 throws CG_NEGATIVE_CURVATURE). Vectors in float64 on
 * the host; A·p through HVPs. Throws CG_NOT_CONVERGED when the true residual is above the
 * tolerance and `strict`. The reported residual is the true ||b − A x|| (one extra HVP).
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
  if (bNorm === 0) return { solution: x, iterations: 0, relativeResidual: 0, recursiveResidual: 0 };
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
  const recursive = Math.sqrt(rr) / bNorm;
  // The recursive residual r_k drifts from b − A x_k (rounding, float32 HVPs): measure the truth.
  const ax = applyHost(op, x);
  let trueRr = 0;
  for (let i = 0; i < p; i++) trueRr += ((b[i] as number) - (ax[i] as number)) ** 2;
  const rel = Math.sqrt(trueRr) / bNorm;
  if (rel > tol && opts.strict) {
    throw unlearningError(
      EngineErrorCode.CgNotConverged,
      `CG stopped at relative residual ${rel}`,
      {
        iterations: it,
        relativeResidual: rel,
        recursiveResidual: recursive,
      },
    );
  }
  return { solution: x, iterations: it, relativeResidual: rel, recursiveResidual: recursive };
};
