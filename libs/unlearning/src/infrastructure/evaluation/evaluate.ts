import type { Evaluation } from '../../application/ports/numeric-engine';
import { tf } from '../tf/tf';
import { softmaxCrossEntropy } from '../tf/cross-entropy';
import { forwardLogits } from '../model/forward';
import type { Architecture } from '../../application/model/architecture';
import { datasetSize, type Dataset } from '../../application/model/dataset';

const CHUNK = 2000;

/** Accuracy and mean cross-entropy of a model on a dataset. */
export const evaluate = (arch: Architecture, params: Float32Array, ds: Dataset): Evaluation => {
  const n = datasetSize(ds);
  if (n === 0) return { n, accuracy: Number.NaN, loss: Number.NaN };
  let correct = 0;
  let lossSum = 0;
  const w = tf.tensor1d(params);
  try {
    for (let start = 0; start < n; start += CHUNK) {
      const m = Math.min(CHUNK, n - start);
      const [c, l] = tf.tidy(() => {
        const x = tf.tensor2d(ds.features.subarray(start * ds.dim, (start + m) * ds.dim), [
          m,
          ds.dim,
        ]);
        const labels = tf.tensor1d(ds.labels.subarray(start, start + m), 'int32');
        const logits = forwardLogits(arch, w, x);
        const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
        const ce = softmaxCrossEntropy(
          logits,
          tf.oneHot(labels, ds.classes).toFloat() as tf.Tensor2D,
        );
        return [hits.dataSync()[0] as number, (ce.dataSync()[0] as number) * m];
      });
      correct += c;
      lossSum += l;
    }
  } finally {
    w.dispose();
  }
  return { n, accuracy: correct / n, loss: lossSum / n };
};

/** Softmax posteriors, row-major n × classes, for membership-inference features. */
export const posteriors = (arch: Architecture, params: Float32Array, ds: Dataset): Float32Array => {
  const n = datasetSize(ds);
  const out = new Float32Array(n * ds.classes);
  const w = tf.tensor1d(params);
  try {
    for (let start = 0; start < n; start += CHUNK) {
      const m = Math.min(CHUNK, n - start);
      const probs = tf.tidy(() => {
        const x = tf.tensor2d(ds.features.subarray(start * ds.dim, (start + m) * ds.dim), [
          m,
          ds.dim,
        ]);
        return tf.softmax(forwardLogits(arch, w, x));
      });
      out.set(probs.dataSync(), start * ds.classes);
      probs.dispose();
    }
  } finally {
    w.dispose();
  }
  return out;
};
