import { tf, type Scalar, type Tensor1D, type Tensor2D } from '../tf/tf';
import { softmaxCrossEntropy } from '../tf/cross-entropy';
import type { DeviceData, TensorBatch } from '../data/device-data';
import { forwardLogits } from './forward';
import type { Architecture } from '../../application/model/architecture';
import {
  DenseNet,
  analyticHvpSupported,
  curvatureProduct,
  joinBlocks,
  vectorBlocks,
} from './dense-curvature';

/**
 * How Hessian-vector products are computed: 'analytic' is the R-operator written out for the
 * dense network (dense-curvature.ts, about 55 kernel launches); 'autodiff' is the reference,
 * double backprop through tfjs (about 370 launches). Both are exact up to float32 rounding.
 */
export type HvpPath = 'analytic' | 'autodiff';

export interface ObjectiveOptions {
  /** Default 'analytic' where `analyticHvpSupported(arch)`; 'autodiff' otherwise (and on request). */
  readonly hvp?: HvpPath;
}

/**
 * The training objective L(w, S) = mean_{x∈S} CE(f(w, x), y) + (l2/2)·||w||² (the coupled weight
 * decay of PyTorch's Adam, as a loss term; it applies to every parameter, biases included).
 * Gradients come from backprop; Hessian-vector products of the data term from the analytic
 * R-operator (`hvpPath` 'analytic', the default for the dense MLP and the logistic regression) or
 * from double backprop (the reference path). The L2 term's gradient l2·w and Hessian l2·I are
 * added analytically (exact).
 */
export class Objective {
  /** The HVP path this objective runs (the requested one, or 'autodiff' where 'analytic' does not apply). */
  readonly hvpPath: HvpPath;

  constructor(
    readonly arch: Architecture,
    readonly l2: number,
    /** Rows per chunk for full-data passes. */
    readonly chunkSize = 1000,
    options: ObjectiveOptions = {},
  ) {
    this.hvpPath =
      (options.hvp ?? 'analytic') === 'analytic' && analyticHvpSupported(arch)
        ? 'analytic'
        : 'autodiff';
  }

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

  /** ∇²(batch mean cross-entropy)·v on this objective's path. No L2. */
  dataHvp(w: Tensor1D, v: Tensor1D, b: TensorBatch): Tensor1D {
    if (this.hvpPath === 'autodiff') return this.dataHvpAutodiff(w, v, b);
    const net = DenseNet.from(this.arch, w);
    try {
      return tf.tidy(
        () =>
          joinBlocks(
            curvatureProduct(net, b.x, b.y, vectorBlocks(this.arch, v)),
            false,
          ) as Tensor1D,
      );
    } finally {
      net.dispose();
    }
  }

  /** ∇²(batch mean cross-entropy)·v by double backprop (Pearlmutter): the reference path. No L2. */
  dataHvpAutodiff(w: Tensor1D, v: Tensor1D, b: TensorBatch): Tensor1D {
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
    const h =
      this.hvpPath === 'analytic'
        ? this.analyticFullHvp(w, v, data)
        : this.fullMean(data, (b) => this.dataHvpAutodiff(w, v, b), w.size);
    const out = tf.tidy(() => tf.add<Tensor1D>(h, tf.mul(v, this.l2 + damping)));
    h.dispose();
    return out;
  }

  /** The data term's HVP over all of D by the R-operator: the net and V's blocks built once. */
  private analyticFullHvp(w: Tensor1D, v: Tensor1D, data: DeviceData): Tensor1D {
    const net = DenseNet.from(this.arch, w);
    const blocks = tf.tidy(() => vectorBlocks(this.arch, v));
    let acc: Tensor1D = tf.zeros([w.size]);
    try {
      for (let start = 0; start < data.n; start += this.chunkSize) {
        const next = tf.tidy(() => {
          const b = data.slice(start, this.chunkSize);
          // Each chunk's mean, weighted by its share of the rows: coef = rows/n.
          const part = curvatureProduct(net, b.x, b.y, blocks, b.x.shape[0] / data.n);
          return tf.add<Tensor1D>(acc, joinBlocks(part, false));
        });
        acc.dispose();
        acc = next;
      }
      return acc;
    } catch (e) {
      acc.dispose();
      throw e;
    } finally {
      net.dispose();
      tf.dispose(blocks);
    }
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
