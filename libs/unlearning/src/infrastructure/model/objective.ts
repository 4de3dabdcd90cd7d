import { tf, type Scalar, type Tensor1D, type Tensor2D } from '../tf/tf';
import { softmaxCrossEntropy } from '../tf/cross-entropy';
import type { DeviceData, TensorBatch } from '../data/device-data';
import { forwardLogits } from './forward';
import type { Architecture } from '../../application/model/architecture';

/**
 * The training objective L(w, S) = mean_{x∈S} CE(f(w, x), y) + (l2/2)·||w||² (the coupled weight
 * decay of PyTorch's Adam, as a loss term; it applies to every parameter, biases included).
 * Gradients and Hessian-vector products of the data term come from (double) backprop; the L2
 * term's gradient l2·w and Hessian l2·I are added analytically (exact).
 */
export class Objective {
  constructor(
    readonly arch: Architecture,
    readonly l2: number,
    /** Rows per chunk for full-data passes. */
    readonly chunkSize = 1000,
  ) {}

  /** Mean cross-entropy of a batch (no L2). */
  dataLoss(w: Tensor1D, b: TensorBatch): Scalar {
    return softmaxCrossEntropy(forwardLogits(this.arch, w, b.x), b.y);
  }

  /** ∇ of the batch mean cross-entropy (no L2). */
  dataGradient(w: Tensor1D, b: TensorBatch): Tensor1D {
    return tf.tidy(
      () => tf.grad((wt: tf.Tensor) => this.dataLoss(wt as Tensor1D, b))(w) as Tensor1D,
    );
  }

  /** ∇²(batch mean cross-entropy)·v by double backprop (Pearlmutter). No L2. */
  dataHvp(w: Tensor1D, v: Tensor1D, b: TensorBatch): Tensor1D {
    return tf.tidy(() => {
      const g = tf.grad((wt: tf.Tensor) => this.dataLoss(wt as Tensor1D, b));
      return tf.grad((wt: tf.Tensor) => tf.sum(tf.mul(g(wt), v)))(w) as Tensor1D;
    });
  }

  /** Regularised minibatch HVP: (∇²L_B + l2·I + damping·I)·v. */
  batchHvp(w: Tensor1D, v: Tensor1D, b: TensorBatch, damping = 0): Tensor1D {
    return tf.tidy(() => tf.add<Tensor1D>(this.dataHvp(w, v, b), tf.mul(v, this.l2 + damping)));
  }

  /** Chunked mean over a full device dataset of a per-batch (mean) quantity. */
  private fullMean(data: DeviceData, f: (b: TensorBatch) => Tensor1D, p: number): Tensor1D {
    let acc: Tensor1D = tf.zeros([p]);
    for (let start = 0; start < data.n; start += this.chunkSize) {
      const next = tf.tidy(() => {
        const b = data.slice(start, this.chunkSize);
        const weight = b.x.shape[0] / data.n;
        return tf.add<Tensor1D>(acc, tf.mul(f(b), weight));
      });
      acc.dispose();
      acc = next;
    }
    return acc;
  }

  /** ∇L(w, D) over the whole dataset, L2 included. */
  gradient(w: Tensor1D, data: DeviceData): Tensor1D {
    const g = this.fullMean(data, (b) => this.dataGradient(w, b), w.size);
    const out = tf.tidy(() => tf.add<Tensor1D>(g, tf.mul(w, this.l2)));
    g.dispose();
    return out;
  }

  /** (∇²L(w, D) + damping·I)·v over the whole dataset, L2 included. */
  hvp(w: Tensor1D, v: Tensor1D, data: DeviceData, damping = 0): Tensor1D {
    const h = this.fullMean(data, (b) => this.dataHvp(w, v, b), w.size);
    const out = tf.tidy(() => tf.add<Tensor1D>(h, tf.mul(v, this.l2 + damping)));
    h.dispose();
    return out;
  }

  /** L(w, D), L2 included, as a number. */
  loss(w: Tensor1D, data: DeviceData): number {
    let total = 0;
    for (let start = 0; start < data.n; start += this.chunkSize) {
      total += tf.tidy(() => {
        const b = data.slice(start, this.chunkSize);
        return (this.dataLoss(w, b).dataSync()[0] as number) * b.x.shape[0];
      });
    }
    const wn = tf.tidy(() => tf.sum(tf.square(w)).dataSync()[0] as number);
    return total / data.n + 0.5 * this.l2 * wn;
  }

  /** Logits for a batch of inputs. */
  logits(w: Tensor1D, x: Tensor2D): Tensor2D {
    return forwardLogits(this.arch, w, x);
  }
}
