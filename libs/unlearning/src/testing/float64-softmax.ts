import { choleskySolve, norm2 } from '../domain/reference/linear-algebra';
import {
  softmaxParamCount,
  softmaxRegressionHessian,
  softmaxRegressionLossAndGradient,
  type SoftmaxRows,
} from '../domain/convex/softmax-regression';

/**
 * Test oracle: the exact minimiser w*_r of F(θ) = mean CE + (l2/2)‖θ‖² for a softmax regression,
 * in float64, by damped Newton with the dense Hessian and a Cholesky solve, until ‖∇F‖ ≤ tol
 * (default 1e-13: the distance to the true minimiser is then ≤ tol/l2). Small problems only
 * (O(n·p²) per step). Not exported from the library.
 */
export function fitSoftmax64(
  rows: SoftmaxRows,
  l2: number,
  tol = 1e-13,
): { readonly theta: Float64Array; readonly gradientNorm: number; readonly steps: number } {
  let theta = new Float64Array(softmaxParamCount(rows.dim, rows.classes));
  let { loss, gradient } = softmaxRegressionLossAndGradient(theta, rows, l2);
  let steps = 0;
  for (; steps < 100 && norm2(gradient) > tol; steps++) {
    const x = choleskySolve(softmaxRegressionHessian(theta, rows, l2), gradient);
    let t = 1;
    for (let h = 0; h < 40; h++, t /= 2) {
      const trial = theta.map((v, i) => v - t * (x[i] as number));
      const next = softmaxRegressionLossAndGradient(trial, rows, l2);
      if (next.loss <= loss || norm2(next.gradient) < norm2(gradient)) {
        theta = trial;
        loss = next.loss;
        gradient = next.gradient;
        break;
      }
    }
  }
  return { theta, gradientNorm: norm2(gradient), steps };
}
