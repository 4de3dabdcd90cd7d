import type { InverseHvpMethod, InverseHvpResult } from '../../application/ports/numeric-engine';
import { tf } from '../tf/tf';
import { backendLabel } from '../tf/backend';
import { DeviceData } from '../data/device-data';
import type { Dataset } from '../../application/model/dataset';
import { Objective } from '../model/objective';
import type { Architecture } from '../../application/model/architecture';
import { hessianOperator } from '../hessian/operator';
import { lissaInverseHvp } from '../hessian/lissa';
import { exactInverseHvp } from '../hessian/exact';
import { conjugateGradient } from '../hessian/conjugate-gradient';
import type { ProgressCallback } from '../../application/progress';

/**
 * Inverse damped-Hessian-vector product at w on the data (D_r): LiSSA (the paper's method),
 * exact dense solve (small p; oracle) or conjugate gradient (full-batch HVPs).
 */
export const inverseHvp = async (opts: {
  objective: Objective;
  params: Float32Array;
  vector: Float32Array;
  data: DeviceData;
  damping: number;
  method: InverseHvpMethod;
  onProgress?: ProgressCallback;
}): Promise<InverseHvpResult> => {
  const started = Date.now();
  const m = opts.method;
  if (m.kind === 'lissa') {
    const r = await lissaInverseHvp({
      objective: opts.objective,
      params: opts.params,
      vector: opts.vector,
      data: opts.data,
      settings: { ...m.settings, seed: m.settings.seed ?? 'lissa', damping: opts.damping },
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    const { solution, ...diag } = r;
    return {
      solution,
      method: 'lissa',
      lissa: diag,
      iterations: r.hvpCount,
      wallTimeMs: Date.now() - started,
      backend: backendLabel(),
    };
  }
  const w = tf.tensor1d(opts.params);
  try {
    const op = hessianOperator(opts.objective, w, opts.data, opts.damping);
    if (m.kind === 'exact') {
      const r = await exactInverseHvp(op, opts.vector, {
        ...(m.maxParams !== undefined ? { maxParams: m.maxParams } : {}),
        ...(m.allowIndefinite !== undefined ? { allowIndefinite: m.allowIndefinite } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      return {
        solution: Float32Array.from(r.solution),
        method: 'exact',
        factorization: r.method,
        iterations: op.size,
        wallTimeMs: Date.now() - started,
        backend: backendLabel(),
      };
    }
    const r = await conjugateGradient(op, opts.vector, {
      ...(m.tolerance !== undefined ? { tolerance: m.tolerance } : {}),
      ...(m.maxIterations !== undefined ? { maxIterations: m.maxIterations } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    const gNorm = Math.sqrt(opts.vector.reduce((s, v) => s + v * v, 0));
    return {
      solution: Float32Array.from(r.solution),
      method: 'cg',
      residualNorm: r.relativeResidual * gNorm,
      recursiveResidualNorm: r.recursiveResidual * gNorm,
      iterations: r.iterations,
      wallTimeMs: Date.now() - started,
      backend: backendLabel(),
    };
  } finally {
    w.dispose();
  }
};

/**
 * Convenience for callers holding plain datasets (benchmarks, the worker): uploads `data`, computes
 * (∇²L(w, data) + λI)⁻¹ v with the chosen method, v defaulting to ∇L(w, data) (the paper's
 * nonconvergence direction), and disposes everything. Times the gradient and the solve separately.
 */
export const inverseHvpOnDataset = async (opts: {
  arch: Architecture;
  params: Float32Array;
  data: Dataset;
  l2: number;
  damping: number;
  method: InverseHvpMethod;
  vector?: Float32Array;
  onProgress?: ProgressCallback;
}): Promise<InverseHvpResult & { readonly vector: Float32Array; readonly gradientMs: number }> => {
  const objective = new Objective(opts.arch, opts.l2);
  const device = DeviceData.from(opts.data);
  try {
    const tg = Date.now();
    let vector = opts.vector;
    if (!vector) {
      const w = tf.tensor1d(opts.params);
      const g = objective.gradient(w, device);
      vector = g.dataSync().slice() as Float32Array;
      g.dispose();
      w.dispose();
    }
    const gradientMs = Date.now() - tg;
    const r = await inverseHvp({
      objective,
      params: opts.params,
      vector,
      data: device,
      damping: opts.damping,
      method: opts.method,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    return { ...r, vector, gradientMs };
  } finally {
    device.dispose();
  }
};
