import { tf, type Tensor1D, type Tensor2D } from '../tf/tf';
import {
  layerWidths,
  parameterLayout,
  type Architecture,
} from '../../application/model/architecture';

/**
 * The model as a function of its flat parameter vector: logits = f(w, x). Only slice, reshape,
 * matMul, add and the activation are used, all twice differentiable with the gradient fixes.
 */
export const forwardLogits = (arch: Architecture, w: Tensor1D, x: Tensor2D): Tensor2D => {
  const blocks = parameterLayout(arch);
  const layers = layerWidths(arch).length - 1;
  const activation = arch.kind === 'mlp' ? arch.activation : undefined;
  let h: Tensor2D = x;
  for (let l = 0; l < layers; l++) {
    const kb = blocks[2 * l];
    const bb = blocks[2 * l + 1];
    if (!kb || !bb) throw new Error('parameter layout mismatch');
    const kernel = tf.reshape(tf.slice(w, [kb.offset], [kb.size]), kb.shape as [number, number]);
    const bias = tf.slice(w, [bb.offset], [bb.size]);
    h = tf.add(tf.matMul(h, kernel as Tensor2D), bias);
    if (l + 1 < layers) h = activation === 'tanh' ? tf.tanh(h) : tf.relu(h);
  }
  return h;
};
