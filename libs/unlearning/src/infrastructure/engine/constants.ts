import type { ConstantsSettings, MeasuredConstants } from '../../application/ports/numeric-engine';
import { tf } from '../tf/tf';
import { backendLabel } from '../tf/backend';
import { DeviceData } from '../data/device-data';
import { datasetSize, selectRows, type Dataset } from '../../application/model/dataset';
import { Objective } from '../model/objective';
import type { Architecture } from '../../application/model/architecture';
import { hessianOperator } from '../hessian/operator';
import { lanczosExtremes, powerExtremes } from '../hessian/spectrum';
import { createRng } from '../../application/model/rng';
import { norm2 } from '../../application/model/flat-vector';
import { modelDigest } from '../../application/model/weights-codec';
import type { ProgressCallback } from '../../application/progress';

/**
 * Measures the constants of the certificate at w on D_r with HVPs: λ_max and λ_min of the Hessian
 * (Lanczos or power iteration), the gradient norm (for G), and optionally the minibatch λ_max that
 * the LiSSA scale H must dominate. M is never measured here (it is an assumption).
 */
export const measureConstants = async (opts: {
  arch: Architecture;
  params: Float32Array;
  retain: Dataset;
  l2: number;
  damping: number;
  settings: ConstantsSettings;
  onProgress?: ProgressCallback;
}): Promise<MeasuredConstants> => {
  const started = Date.now();
  const s = opts.settings;
  const objective = new Objective(opts.arch, opts.l2);
  const n = datasetSize(opts.retain);
  const sampleSize = Math.min(n, s.hessianSampleSize ?? n);
  const rng = createRng(s.seed);
  const sample =
    sampleSize < n
      ? selectRows(
          opts.retain,
          Array.from(rng.derive('hessian-sample').permutation(n).subarray(0, sampleSize)).sort(
            (a, b) => a - b,
          ),
        )
      : opts.retain;
  const full = DeviceData.from(opts.retain);
  const sub = sample === opts.retain ? full : DeviceData.from(sample);
  const w = tf.tensor1d(opts.params);
  try {
    const g = objective.gradient(w, full);
    const gradientNorm = norm2(g.dataSync());
    g.dispose();
    const op = hessianOperator(objective, w, sub, 0);
    const method = s.method ?? 'lanczos';
    const spec =
      method === 'lanczos'
        ? await lanczosExtremes(op, {
            iterations: s.iterations ?? 30,
            seed: `${String(s.seed)}/lanczos`,
            phase: 'constants',
            ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          })
        : await powerExtremes(op, {
            iterations: s.iterations ?? 100,
            seed: `${String(s.seed)}/power`,
            ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          });
    let minibatchLambdaMax: number | undefined;
    const samples = s.minibatchSamples ?? 0;
    if (samples > 0) {
      const b = s.batchSize ?? 10;
      const mb = rng.derive('minibatch');
      minibatchLambdaMax = -Infinity;
      for (let k = 0; k < samples; k++) {
        const rows = new Int32Array(b);
        for (let i = 0; i < b; i++) rows[i] = mb.int(n);
        const batch = full.gather(rows);
        try {
          const est = await lanczosExtremes(
            { size: w.size, apply: (v) => objective.batchHvp(w, v, batch, opts.damping) },
            { iterations: Math.min(15, s.iterations ?? 15), seed: `${String(s.seed)}/mb/${k}` },
          );
          minibatchLambdaMax = Math.max(minibatchLambdaMax, est.max);
        } finally {
          batch.x.dispose();
          batch.y.dispose();
        }
        opts.onProgress?.({ phase: 'constants-minibatch', done: k + 1, total: samples });
      }
    }
    const safety = s.scaleSafety ?? 2;
    const measured = ['lambdaMin', 'lambdaMax', 'G'];
    if (minibatchLambdaMax !== undefined) measured.push('minibatchLambdaMax');
    return {
      lambdaMax: spec.max,
      lambdaMin: spec.min,
      dampedLambdaMax: spec.max + opts.damping,
      dampedLambdaMin: spec.min + opts.damping,
      damping: opts.damping,
      gradientNorm,
      parameterNorm: norm2(opts.params),
      parameterDigest: modelDigest(opts.arch, opts.params),
      retainSize: n,
      ...(minibatchLambdaMax !== undefined ? { minibatchLambdaMax } : {}),
      suggestedScale: safety * Math.max(minibatchLambdaMax ?? -Infinity, spec.max + opts.damping),
      method: spec.method,
      iterations: spec.iterations,
      hessianSampleSize: sampleSize,
      measured,
      backend: backendLabel(),
      wallTimeMs: Date.now() - started,
    };
  } finally {
    w.dispose();
    if (sub !== full) sub.dispose();
    full.dispose();
  }
};
