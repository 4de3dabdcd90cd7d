import type { TrainResult } from '../../application/ports/numeric-engine';
import { tf, type Tensor1D } from '../tf/tf';
import { backendLabel } from '../tf/backend';
import { DeviceData } from '../data/device-data';
import { datasetDigest } from '../data/digest';
import { datasetSize, type Dataset } from '../../application/model/dataset';
import { createRng } from '../../application/model/rng';
import { initialParameters } from '../model/init';
import { Objective } from '../model/objective';
import { parameterCount, type Architecture } from '../../application/model/architecture';
import { norm2 } from '../../application/model/flat-vector';
import { unlearningError, EngineErrorCode } from '../../application/errors';
import { yieldToEventLoop, type ProgressCallback } from '../../application/progress';
import type { TrainingRecipe } from '../../application/model/recipe';

const fullRecipe = (r: TrainingRecipe): Required<TrainingRecipe> => ({
  beta1: 0.9,
  beta2: 0.999,
  adamEpsilon: 1e-8,
  ...r,
});

const validateRecipe = (r: Required<TrainingRecipe>): void => {
  const positive = ['C', 'learningRate', 'epochs', 'batchSize'] as const;
  for (const k of positive) {
    if (!(Number.isFinite(r[k]) && r[k] > 0)) {
      throw unlearningError(
        EngineErrorCode.InvalidSettings,
        `recipe.${k} must be > 0`,
        { [k]: r[k] },
        'validation',
      );
    }
  }
  if (!(Number.isFinite(r.l2) && r.l2 >= 0)) {
    throw unlearningError(
      EngineErrorCode.InvalidSettings,
      'recipe.l2 must be >= 0',
      { l2: r.l2 },
      'validation',
    );
  }
};

/**
 * Projected Adam (PyTorch semantics, coupled L2: g ← ∇CE + l2·w) on mean softmax cross-entropy.
 * After every step: w ← w·min(1, C/||w||₂) over the whole parameter vector. Deterministic for a
 * given recipe, data (row order included) and backend.
 */
export const trainProjectedAdam = async (opts: {
  arch: Architecture;
  data: Dataset;
  recipe: TrainingRecipe;
  /** Start from these parameters instead of the seeded initialisation. */
  initial?: Float32Array;
  onProgress?: ProgressCallback;
}): Promise<TrainResult> => {
  const started = Date.now();
  const recipe = fullRecipe(opts.recipe);
  validateRecipe(recipe);
  const n = datasetSize(opts.data);
  if (n === 0)
    throw unlearningError(EngineErrorCode.InvalidDataset, 'empty training set', {}, 'validation');
  const p = parameterCount(opts.arch);
  const init = opts.initial ?? initialParameters(opts.arch, recipe.seed);
  if (init.length !== p)
    throw unlearningError(
      EngineErrorCode.InvalidWeights,
      'initial parameters do not fit the architecture',
      {},
      'validation',
    );

  const objective = new Objective(opts.arch, recipe.l2);
  const device = DeviceData.from(opts.data);
  const rng = createRng(`train/${String(recipe.seed)}`);
  const stepsPerEpoch = Math.ceil(n / recipe.batchSize);
  const totalSteps = stepsPerEpoch * recipe.epochs;
  let w: Tensor1D = tf.tidy(() => {
    const w0 = tf.tensor1d(init);
    const nrm = tf.norm(w0);
    return tf.mul<Tensor1D>(w0, tf.minimum(1, tf.div(recipe.C, tf.maximum(nrm, 1e-30))));
  });
  let m: Tensor1D = tf.zeros([p]);
  let v: Tensor1D = tf.zeros([p]);
  let step = 0;
  try {
    for (let epoch = 0; epoch < recipe.epochs; epoch++) {
      const perm = rng.permutation(n);
      let lossSum: tf.Scalar = tf.scalar(0);
      for (let s = 0; s < stepsPerEpoch; s++) {
        step++;
        const rows = perm.subarray(s * recipe.batchSize, Math.min(n, (s + 1) * recipe.batchSize));
        const t = step;
        const next = tf.tidy(() => {
          const batch = device.gather(rows);
          const { value, grad } = tf.valueAndGrad((wt: Tensor1D) => objective.dataLoss(wt, batch))(
            w,
          );
          const g = tf.add(grad, tf.mul(w, recipe.l2));
          const m1 = tf.add<Tensor1D>(tf.mul(m, recipe.beta1), tf.mul(g, 1 - recipe.beta1));
          const v1 = tf.add<Tensor1D>(
            tf.mul(v, recipe.beta2),
            tf.mul(tf.square(g), 1 - recipe.beta2),
          );
          const mHat = tf.div(m1, 1 - Math.pow(recipe.beta1, t));
          const vHat = tf.div(v1, 1 - Math.pow(recipe.beta2, t));
          const stepped = tf.sub(
            w,
            tf.mul(recipe.learningRate, tf.div(mHat, tf.add(tf.sqrt(vHat), recipe.adamEpsilon))),
          );
          const factor = tf.minimum(1, tf.div(recipe.C, tf.maximum(tf.norm(stepped), 1e-30)));
          return {
            w: tf.mul<Tensor1D>(stepped, factor),
            m: m1,
            v: v1,
            loss: tf.add<tf.Scalar>(lossSum, tf.mul(value, rows.length)),
          };
        });
        w.dispose();
        m.dispose();
        v.dispose();
        lossSum.dispose();
        ({ w, m, v } = next);
        lossSum = next.loss;
        opts.onProgress?.({ phase: 'train', done: step, total: totalSteps });
      }
      const meanLoss = (lossSum.dataSync()[0] as number) / n;
      lossSum.dispose();
      if (!Number.isFinite(meanLoss)) {
        throw unlearningError(EngineErrorCode.NonFinite, `training loss became ${meanLoss}`, {
          epoch,
        });
      }
      opts.onProgress?.({
        phase: 'train-epoch',
        done: epoch + 1,
        total: recipe.epochs,
        detail: { epoch: epoch + 1, loss: meanLoss },
      });
      await yieldToEventLoop();
    }
    const finalLoss = objective.loss(w, device);
    const grad = objective.gradient(w, device);
    const finalGradientNorm = norm2(grad.dataSync());
    grad.dispose();
    const params = w.dataSync().slice() as Float32Array;
    return {
      params,
      profile: {
        C: recipe.C,
        l2: recipe.l2,
        loss: 'softmax-cross-entropy',
        lr: recipe.learningRate,
        epochs: recipe.epochs,
        batchSize: recipe.batchSize,
        seed: recipe.seed,
        dataDigest: datasetDigest(opts.data),
        finalGradNorm: finalGradientNorm,
        backend: backendLabel(),
        architecture: opts.arch,
        finalParamNorm: norm2(params),
        recipe,
        trainSize: n,
        finalLoss,
        parameterCount: p,
        steps: step,
        wallTimeMs: Date.now() - started,
      },
    };
  } finally {
    w.dispose();
    m.dispose();
    v.dispose();
    device.dispose();
  }
};
