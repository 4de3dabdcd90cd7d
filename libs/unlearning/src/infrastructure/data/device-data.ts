import { tf, type Tensor2D } from '../tf/tf';
import type { Dataset } from '../../application/model/dataset';

export interface TensorBatch {
  readonly x: Tensor2D;
  /** One-hot labels, float32. */
  readonly y: Tensor2D;
}

/**
 * A dataset held on the tfjs backend (features [n, dim], one-hot labels [n, classes]) for repeated
 * passes (full gradients, Hessian minibatches). Call `dispose()` when done.
 */
export class DeviceData {
  readonly x: Tensor2D;
  readonly y: Tensor2D;
  readonly n: number;
  readonly dim: number;
  readonly classes: number;

  private constructor(x: Tensor2D, y: Tensor2D, dim: number, classes: number) {
    this.x = x;
    this.y = y;
    this.n = x.shape[0];
    this.dim = dim;
    this.classes = classes;
  }

  static from(ds: Dataset): DeviceData {
    const n = ds.labels.length;
    const { x, y } = tf.tidy(() => ({
      x: tf.tensor2d(ds.features, [n, ds.dim]),
      y: tf.oneHot(tf.tensor1d(ds.labels, 'int32'), ds.classes).toFloat() as Tensor2D,
    }));
    return new DeviceData(x, y, ds.dim, ds.classes);
  }

  /** Rows [start, start+size) as new tensors (dispose, or use inside tf.tidy). */
  slice(start: number, size: number): TensorBatch {
    const m = Math.min(size, this.n - start);
    return {
      x: tf.slice(this.x, [start, 0], [m, this.dim]),
      y: tf.slice(this.y, [start, 0], [m, this.classes]),
    };
  }

  /** Rows by index (with repetition allowed) as new tensors. */
  gather(rows: Int32Array): TensorBatch {
    return tf.tidy(() => {
      const idx = tf.tensor1d(rows, 'int32');
      return { x: tf.gather(this.x, idx), y: tf.gather(this.y, idx) };
    });
  }

  dispose(): void {
    this.x.dispose();
    this.y.dispose();
  }
}
