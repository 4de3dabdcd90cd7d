import { tf } from '../src/infrastructure/tf/tf';
import { DeviceData } from '../src/infrastructure/data/device-data';
import type { Dataset } from '../src/application/model/dataset';
import { maxRowNorm } from '../src/infrastructure/data/synthetic';
import { logisticRegression, parameterCount } from '../src/application/model/architecture';
import { Objective } from '../src/infrastructure/model/objective';
import { hessianOperator } from '../src/infrastructure/hessian/operator';
import { exactInverseHvp } from '../src/infrastructure/hessian/exact';
import { norm2 } from '../src/application/model/flat-vector';

/**
 * The exact minimiser of the L2-regularised (strongly convex) softmax regression objective on a
 * dataset, by full Newton iterations with the dense Hessian (float64 solve) until ||∇L|| < tol.
 */
export const fitConvexOptimum = async (
  ds: Dataset,
  l2: number,
  tol = 1e-6,
): Promise<{ params: Float32Array; gradientNorm: number }> => {
  const arch = logisticRegression(ds.dim, ds.classes);
  const objective = new Objective(arch, l2);
  const data = DeviceData.from(ds);
  let params = new Float32Array(parameterCount(arch));
  let gradientNorm = Infinity;
  try {
    for (let it = 0; it < 30 && gradientNorm > tol; it++) {
      const w = tf.tensor1d(params);
      const gt = objective.gradient(w, data);
      const g = gt.dataSync().slice() as Float32Array;
      gt.dispose();
      gradientNorm = norm2(g);
      if (gradientNorm > tol) {
        const { solution } = await exactInverseHvp(hessianOperator(objective, w, data, 0), g);
        params = params.map((v, i) => v - (solution[i] as number));
      }
      w.dispose();
    }
  } finally {
    data.dispose();
  }
  return { params, gradientNorm };
};

/**
 * A valid Hessian-Lipschitz constant of mean softmax cross-entropy of a linear model (any L2
 * term adds none): with z = W x̃, x̃ = [x, 1], the logit Hessian A(z) = diag(p) − ppᵀ satisfies
 * ||dA|| <= ||diag(dp)|| + 2||dp||·||p|| <= 1.5 ||dz|| (||dp|| <= ||A||·||dz|| <= ||dz||/2), and
 * ||dz|| <= ||x̃||·||dw||, so ||H(w1) − H(w2)|| <= 1.5·max||x̃||³·||w1 − w2||.
 */
export const softmaxRegressionM = (ds: Dataset): number => {
  const r = Math.sqrt(maxRowNorm(ds) ** 2 + 1);
  return 1.5 * r ** 3;
};
