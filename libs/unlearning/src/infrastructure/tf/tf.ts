/**
 * The one place that loads TensorFlow.js. Everything in this library imports `tf` from here, so
 * that a single engine instance (and a single gradient registry) is used.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type Tensor = tf.Tensor;
export type Tensor1D = tf.Tensor1D;
export type Tensor2D = tf.Tensor2D;
export type Scalar = tf.Scalar;
