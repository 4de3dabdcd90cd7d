import type { LissaResult, LissaSettings } from '../../application/ports/numeric-engine';
import { tf, type Tensor1D } from '../tf/tf';
import { UnlearningError, UnlearningErrorCodes } from '../../domain/errors';
import { createRng } from '../../application/model/rng';
import type { DeviceData } from '../data/device-data';
import type { Objective } from '../model/objective';
import { unlearningError, EngineErrorCode } from '../../application/errors';
import { yieldToEventLoop, type ProgressCallback } from '../../application/progress';

const validate = (s: LissaSettings): void => {
  const ints = ['chains', 'depth', 'batchSize'] as const;
  for (const k of ints) {
    if (!Number.isInteger(s[k]) || s[k] < 1) {
      throw unlearningError(
        EngineErrorCode.InvalidSettings,
        `lissa.${k} must be an integer >= 1`,
        { [k]: s[k] },
        'validation',
      );
    }
  }
  if (!(s.scale > 0) || !Number.isFinite(s.scale)) {
    throw unlearningError(
      EngineErrorCode.InvalidSettings,
      'lissa.scale must be > 0',
      { scale: s.scale },
      'validation',
    );
  }
  if (!(s.damping >= 0) || !Number.isFinite(s.damping)) {
    throw unlearningError(
      EngineErrorCode.InvalidSettings,
      'lissa.damping must be >= 0',
      { damping: s.damping },
      'validation',
    );
  }
};

/**
 * LiSSA inverse-HVP (Agarwal et al. 2017; paper §2.3): per chain v_0 = g,
 *   v_j = g + (I − (H_{B_j} + λI)/H)·v_{j−1},   j = 1..s,
 * with H_{B_j} the Hessian of the regularised loss on a fresh minibatch of b rows of D drawn with
 * replacement; the estimate is mean over chains of v_s / H ≈ (∇²L(w, D) + λI)⁻¹ g.
 *
 * Divergence (scale H below the minibatch λ_max, too little damping for negative curvature,
 * NaN/Inf) is detected from the iterate norm and thrown as LISSA_DIVERGED — never returned.
 */
export const lissaInverseHvp = async (opts: {
  objective: Objective;
  params: Float32Array;
  vector: Float32Array;
  data: DeviceData;
  settings: LissaSettings;
  onProgress?: ProgressCallback;
}): Promise<LissaResult> => {
  const started = Date.now();
  const s = opts.settings;
  validate(s);
  const checkEvery = s.checkEvery ?? 10;
  const growthLimit = s.growthLimit ?? 10;
  const gNorm = Math.sqrt(opts.vector.reduce((a, v) => a + v * v, 0));
  const total = s.chains * s.depth;
  const w = tf.tensor1d(opts.params);
  const g = tf.tensor1d(opts.vector);
  let acc: Tensor1D = tf.zerosLike(g);
  const chainNorms: number[] = [];
  let maxGrowth = 0;
  let hvps = 0;
  try {
    for (let c = 0; c < s.chains; c++) {
      const rng = createRng(s.seed).derive(`lissa-chain-${c}`);
      let v: Tensor1D = g.clone();
      try {
        for (let j = 1; j <= s.depth; j++) {
          let next: Tensor1D;
          if (s.fullBatch) {
            const hv = opts.objective.hvp(w, v, opts.data, s.damping);
            next = tf.tidy(() => tf.add<Tensor1D>(g, tf.sub(v, tf.div(hv, s.scale))));
            hv.dispose();
          } else {
            const rows = new Int32Array(s.batchSize);
            for (let k = 0; k < s.batchSize; k++) rows[k] = rng.int(opts.data.n);
            next = tf.tidy(() => {
              const batch = opts.data.gather(rows);
              const hv = opts.objective.batchHvp(w, v, batch, s.damping);
              return tf.add<Tensor1D>(g, tf.sub(v, tf.div(hv, s.scale)));
            });
          }
          v.dispose();
          v = next;
          hvps++;
          if (j % checkEvery === 0 || j === s.depth) {
            const nrm = tf.tidy(() => tf.norm(v).dataSync()[0] as number);
            const growth = gNorm > 0 ? nrm / ((j + 1) * gNorm) : nrm === 0 ? 0 : Infinity;
            maxGrowth = Math.max(maxGrowth, Number.isFinite(growth) ? growth : Infinity);
            if (!Number.isFinite(nrm) || growth > growthLimit) {
              throw new UnlearningError(
                UnlearningErrorCodes.LISSA_DIVERGED,
                `LiSSA diverged in chain ${c} at step ${j}: ||v|| = ${nrm} (bound ${(j + 1) * gNorm}); ` +
                  'raise the scale H above λ_max of the minibatch Hessians, raise the damping λ, or lower the depth s',
                {
                  chain: c,
                  step: j,
                  norm: nrm,
                  gradientNorm: gNorm,
                  growth,
                  ...s,
                  seed: String(s.seed),
                },
              );
            }
            opts.onProgress?.({
              phase: 'lissa',
              done: c * s.depth + j,
              total,
              detail: { chain: c, norm: nrm },
            });
          }
          if (j % 200 === 0) await yieldToEventLoop();
        }
        chainNorms.push(tf.tidy(() => tf.norm(v).dataSync()[0] as number) / s.scale);
        const nextAcc = tf.tidy(() => tf.add<Tensor1D>(acc, tf.div(v, s.scale * s.chains)));
        acc.dispose();
        acc = nextAcc;
      } finally {
        v.dispose();
      }
    }
    const solution = acc.dataSync().slice() as Float32Array;
    return { solution, hvpCount: hvps, chainNorms, maxGrowth, wallTimeMs: Date.now() - started };
  } finally {
    w.dispose();
    g.dispose();
    acc.dispose();
  }
};
