import type { LissaResult, LissaSettings } from '../../application/ports/numeric-engine';
import { tf, type Tensor, type Tensor1D } from '../tf/tf';
import { UnlearningError, UnlearningErrorCodes } from '../../domain/errors';
import { createRng } from '../../application/model/rng';
import type { DeviceData } from '../data/device-data';
import type { Objective } from '../model/objective';
import { unlearningError, EngineErrorCode } from '../../application/errors';
import { yieldToEventLoop, type ProgressCallback } from '../../application/progress';
import { DenseNet, curvatureProduct, vectorBlocks } from '../model/dense-curvature';

/**
 * How the chains run: 'fused' advances all S chains together, one batched R-operator product per
 * step for all of them (objectives on the analytic path, sampled minibatches); 'per-chain' is the
 * reference loop, one chain after the other, one HVP at a time through `Objective.batchHvp`.
 */
export type LissaPath = 'fused' | 'per-chain';

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
export const lissaInverseHvp = async (opts: LissaOptions): Promise<LissaResult> => {
  validate(opts.settings);
  return lissaPath(opts) === 'fused' ? fusedLissa(opts) : perChainLissa(opts);
};

export interface LissaOptions {
  objective: Objective;
  params: Float32Array;
  vector: Float32Array;
  data: DeviceData;
  settings: LissaSettings;
  onProgress?: ProgressCallback;
  /** Default 'fused' where it applies (see `lissaPath`); 'per-chain' forces the reference loop. */
  path?: LissaPath;
}

/** The path `lissaInverseHvp` takes: fused for an analytic-path objective on sampled minibatches. */
export const lissaPath = (
  opts: Pick<LissaOptions, 'objective' | 'settings' | 'path'>,
): LissaPath =>
  (opts.path ?? 'fused') === 'fused' &&
  opts.objective.hvpPath === 'analytic' &&
  !opts.settings.fullBatch
    ? 'fused'
    : 'per-chain';

const divergedError = (
  s: LissaSettings,
  c: number,
  j: number,
  nrm: number,
  gNorm: number,
  growth: number,
): UnlearningError =>
  new UnlearningError(
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

/** ||v_j|| / ((j+1)·||g||): at most 1 for a convergent recursion. */
const growthOf = (nrm: number, j: number, gNorm: number): number =>
  gNorm > 0 ? nrm / ((j + 1) * gNorm) : nrm === 0 ? 0 : Infinity;

/**
 * All S chains at once. The state is V = [v_1 … v_S] as stacked per-layer blocks; step j draws each
 * chain's b rows from that chain's own generator (the same rows, in the same order, as the
 * per-chain loop), gathers them as one [S, b, in] tensor and runs one R-operator product:
 *   V ← g + (1 − (l2 + λ)/H)·V − (1/H)·∇²L_{B_j}·V,
 * with −1/H folded into the product. No host round trip per step: the norms for the divergence
 * check (every `checkEvery` steps) stay on the device and are read in one transfer at each yield
 * to the event loop; the first failing check (in step order, then chain order) is thrown with its
 * own step and norm, as the per-chain loop would report that chain.
 */
const fusedLissa = async (opts: LissaOptions): Promise<LissaResult> => {
  const started = Date.now();
  const s = opts.settings;
  const S = s.chains;
  const b = s.batchSize;
  const checkEvery = s.checkEvery ?? 10;
  const growthLimit = s.growthLimit ?? 10;
  const gNorm = Math.sqrt(opts.vector.reduce((a, v) => a + v * v, 0));
  const total = S * s.depth;
  const arch = opts.objective.arch;
  const n = opts.data.n;
  const keep = 1 - (opts.objective.l2 + s.damping) / s.scale;
  const coef = -1 / s.scale;
  // Yield about as often as the per-chain loop did (every 200 HVPs of one chain).
  const yieldEvery = Math.max(1, Math.floor(200 / S));
  const rngs = Array.from({ length: S }, (_, c) => createRng(s.seed).derive(`lissa-chain-${c}`));
  const w = tf.tensor1d(opts.params);
  const net = DenseNet.from(arch, w);
  // g once per chain (so the update is one AddN per block, without broadcasting), and the
  // recursion's scalar: made once, not per step.
  const g = tf.tidy(() =>
    vectorBlocks(arch, tf.tensor1d(opts.vector)).map((blk) =>
      tf.tile(tf.expandDims(blk, 0), [S, 1, 1]),
    ),
  );
  const keepScalar = tf.scalar(keep);
  let v: Tensor[] = g.map((blk) => tf.clone(blk));
  let maxGrowth = 0;
  /** Device-side norms of the checks since the last read: [step, norms [S]]. */
  let pending: { step: number; norms: Tensor }[] = [];
  const squaredNorms = (blocks: Tensor[]): Tensor =>
    tf.tidy(() => tf.addN(blocks.map((blk) => tf.sum(tf.square(blk), [1, 2]))));
  const flush = (): void => {
    if (pending.length === 0) return;
    const all = tf.tidy(() => tf.sqrt(tf.stack(pending.map((p) => p.norms))));
    const values = all.dataSync();
    all.dispose();
    const checks = pending;
    pending = [];
    tf.dispose(checks.map((p) => p.norms));
    checks.forEach(({ step }, i) => {
      let worst = 0;
      for (let c = 0; c < S; c++) {
        const nrm = values[i * S + c] as number;
        const growth = growthOf(nrm, step, gNorm);
        maxGrowth = Math.max(maxGrowth, Number.isFinite(growth) ? growth : Infinity);
        if (!Number.isFinite(nrm) || growth > growthLimit) {
          throw divergedError(s, c, step, nrm, gNorm, growth);
        }
        worst = Math.max(worst, nrm);
      }
      opts.onProgress?.({
        phase: 'lissa',
        done: S * step,
        total,
        detail: { chains: S, norm: worst },
      });
    });
  };
  try {
    for (let j = 1; j <= s.depth; j++) {
      const rows = new Int32Array(S * b);
      for (let c = 0; c < S; c++) {
        const rng = rngs[c] as (typeof rngs)[number];
        for (let k = 0; k < b; k++) rows[c * b + k] = rng.int(n);
      }
      const prev = v;
      v = tf.tidy(() => {
        const idx = tf.tensor2d(rows, [S, b], 'int32');
        const x = tf.gather(opts.data.x, idx);
        const y = tf.gather(opts.data.y, idx);
        return curvatureProduct(
          net,
          x,
          y,
          prev,
          coef,
          prev.map((vk, k) => [g[k] as Tensor, tf.mul(vk, keepScalar)]),
        );
      });
      tf.dispose(prev);
      if (j % checkEvery === 0 || j === s.depth) {
        pending.push({ step: j, norms: squaredNorms(v) });
      }
      if (j % yieldEvery === 0 || j === s.depth) {
        flush();
        await yieldToEventLoop();
      }
    }
    flush();
    const out = tf.tidy(() => {
      const norms = tf.div(tf.sqrt(squaredNorms(v)), s.scale);
      const mean = tf.div(tf.concat(v.map((blk) => tf.reshape(tf.sum(blk, 0), [-1]))), s.scale * S);
      return { norms, mean };
    });
    const chainNorms = Array.from(out.norms.dataSync());
    const solution = out.mean.dataSync().slice() as Float32Array;
    tf.dispose([out.norms, out.mean]);
    return {
      solution,
      hvpCount: total,
      chainNorms,
      maxGrowth,
      wallTimeMs: Date.now() - started,
    };
  } finally {
    tf.dispose(pending.map((p) => p.norms));
    tf.dispose(v);
    tf.dispose(g);
    keepScalar.dispose();
    net.dispose();
    w.dispose();
  }
};

/** The reference loop: one chain after the other, one `Objective.batchHvp` per step. */
const perChainLissa = async (opts: LissaOptions): Promise<LissaResult> => {
  const started = Date.now();
  const s = opts.settings;
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
            const growth = growthOf(nrm, j, gNorm);
            maxGrowth = Math.max(maxGrowth, Number.isFinite(growth) ? growth : Infinity);
            if (!Number.isFinite(nrm) || growth > growthLimit) {
              throw divergedError(s, c, j, nrm, gNorm, growth);
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
