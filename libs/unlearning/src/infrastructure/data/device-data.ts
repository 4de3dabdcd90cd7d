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

  /**
   * Rows [start, start+size) as new tensors (dispose, or use inside tf.tidy). Gathered by index,
   * not `tf.slice`: the wasm Slice kernel copies the whole source tensor out of the wasm heap on
   * every call, which made every chunked full-data pass O(n²) (54 s instead of 4 s for one
   * gradient pass over 144,000 rows); Gather reads only the rows it returns.
   */
  slice(start: number, size: number): TensorBatch {
    const m = Math.min(size, this.n - start);
    return tf.tidy(() => {
      const rows = tf.range(start, start + m, 1, 'int32');
      return { x: tf.gather(this.x, rows), y: tf.gather(this.y, rows) };
    });
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
