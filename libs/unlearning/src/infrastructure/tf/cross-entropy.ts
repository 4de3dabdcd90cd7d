import { tf, type Scalar, type Tensor2D } from './tf';

/**
 * Row max as a constant: identity forward, zero gradient. Using it as the log-sum-exp shift is
 * exact (the shifted expression does not depend on the shift), and it keeps tf.max (an
 * output-saving op) off the differentiated path.
 */
const detachedRowMax = (z: Tensor2D): Tensor2D =>
  tf.tidy(() => {
    const m = tf.max(z, 1, true);
    const values = m.dataSync();
    return tf.tensor2d(values, m.shape as [number, number]);
  });

/**
 * Mean softmax cross-entropy, twice differentiable: mean_i( logsumexp(z_i) − Σ_k y_ik z_ik ).
 * Built from exp/log/sum only (never tf.logSoftmax / tf.losses.*, which use customGrad and lose
 * the second-order path).
 */
export const softmaxCrossEntropy = (logits: Tensor2D, oneHot: Tensor2D): Scalar => {
  const m = detachedRowMax(logits);
  const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(logits, m)), 1)), tf.squeeze(m, [1]));
  const picked = tf.sum(tf.mul(oneHot, logits), 1);
  return tf.mean(tf.sub(lse, picked));
};

/** Per-row softmax probabilities (for evaluation only; not on any differentiated path). */
export const softmaxRows = (logits: Tensor2D): Tensor2D => tf.softmax(logits);
