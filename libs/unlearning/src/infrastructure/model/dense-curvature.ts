import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../tf/tf';
import {
  layerWidths,
  parameterLayout,
  type Architecture,
} from '../../application/model/architecture';

/**
 * The analytic Hessian-vector product of the dense network + softmax cross-entropy (Pearlmutter's
 * R-operator, written out; docs/adr/0012-fast-hvp.md). For a direction V
 * (a kernel block VK_l and a bias block Vb_l per layer) it runs
 *
 *   forward     z_l = a_{l−1} K_l + b_l,  a_l = φ(z_l)                       (a_0 = x)
 *   R-forward   Rz_l = Ra_{l−1} K_l + a_{l−1} VK_l + Vb_l,  Ra_l = φ'(z_l) ⊙ Rz_l   (Ra_0 = 0)
 *   softmax     δ_L = c·(p − y),  Rδ_L = c·p ⊙ (Rz_L − ⟨p, Rz_L⟩)
 *   backward    R(∂K_l) = a_{l−1}ᵀ Rδ_l + Ra_{l−1}ᵀ δ_l,  R(∂b_l) = Σ_rows Rδ_l
 *               e = δ_l K_lᵀ,  Re = Rδ_l K_lᵀ + δ_l VK_lᵀ
 *               δ_{l−1} = e ⊙ φ'(z_{l−1}),  Rδ_{l−1} = Re ⊙ φ'(z_{l−1}) + e ⊙ φ''(z_{l−1}) ⊙ Rz_{l−1}
 *
 * so R(∇L) = (∇²L)·V with c = 1/rows gives the Hessian of the batch mean (no L2; the caller adds
 * it). That is two forward and two backward passes of a handful of matmuls, about 55 kernel
 * launches for the paper's MLP, where autodiff of autodiff launches about 370.
 *
 * Every tensor here is rank-polymorphic in one leading "stack" dimension S: V's blocks may be
 * [S, in, out] / [S, 1, out] (S directions at once) or [in, out] / [1, out] (one), and the rows
 * may be [r, in] (the same rows for every direction) or [S, r, in] (rows of their own per
 * direction, e.g. one LiSSA chain's minibatch each). Matmuls broadcast over S, so one launch
 * serves every direction.
 *
 * Activations: tanh (φ' = 1 − a², φ'' = −2a·φ') and ReLU (φ' = step(z), with φ'(0) = 0 as the
 * autodiff path and the float64 oracle; φ'' = 0). A logistic regression is the one-layer case.
 * Anything else is refused by `analyticHvpSupported` and the caller falls back to autodiff.
 */

/** The architectures the R-operator covers. */
export const analyticHvpSupported = (arch: Architecture): boolean =>
  arch.kind === 'logistic-regression' ||
  (arch.kind === 'mlp' && (arch.activation === 'tanh' || arch.activation === 'relu'));

/**
 * A batched matmul with a transposed operand: transpose flags are one launch on native TensorFlow
 * (adj_x/adj_y), but about 12× slower than an explicit transpose on wasm (docs/method.md §9). The
 * net picks per backend when it is built; both give the same numbers.
 */
const transposeFlagsFor = (backend: string): boolean => backend === 'tensorflow';

/** Swaps the last two axes. */
const swapLast = (t: Tensor): Tensor =>
  t.rank === 2 ? tf.transpose(t) : tf.transpose(t, t.rank === 3 ? [0, 2, 1] : undefined);

/** The dense layers of a flat parameter vector, split once and reused for many products. */
export class DenseNet {
  private constructor(
    readonly arch: Architecture,
    /** K_l [in, out]. */
    readonly kernels: readonly Tensor2D[],
    /** K_lᵀ [out, in] (only when transpose flags are off). */
    readonly kernelsT: readonly Tensor2D[],
    /** b_l [out]. */
    readonly biases: readonly Tensor1D[],
    readonly activation: 'tanh' | 'relu' | 'none',
    /** Launch transposed matmuls with flags (native) instead of explicit transposes (wasm, cpu). */
    readonly transposeFlags: boolean,
  ) {}

  /** aᵀ·b over the last two axes (broadcast over the stack axis). */
  mmTA(a: Tensor, b: Tensor): Tensor {
    return this.transposeFlags ? tf.matMul(a, b, true, false) : tf.matMul(swapLast(a), b);
  }

  /** a·bᵀ over the last two axes (broadcast over the stack axis). */
  mmTB(a: Tensor, b: Tensor): Tensor {
    return this.transposeFlags ? tf.matMul(a, b, false, true) : tf.matMul(a, swapLast(b));
  }

  /**
   * a·m for a shared matrix m [k, out] and a of rank 2 or 3. wasm runs a broadcast batched matmul
   * [S, r, k]·[k, out] about 8× slower than the same product as one 2-D matmul [S·r, k]·[k, out]
   * (reshapes are free there), so off native the stack axis is folded into the rows.
   */
  private mmShared(a: Tensor, m: Tensor2D): Tensor {
    if (this.transposeFlags || a.rank !== 3) return tf.matMul(a, m);
    const [s, r, k] = a.shape as [number, number, number];
    return tf.reshape(tf.matMul(tf.reshape(a, [s * r, k]), m), [s, r, m.shape[1]]);
  }

  /** a·K_l. */
  mmK(a: Tensor, l: number): Tensor {
    return this.mmShared(a, this.kernels[l] as Tensor2D);
  }

  /** a·K_lᵀ. */
  mmKT(a: Tensor, l: number): Tensor {
    return this.transposeFlags
      ? tf.matMul(a, this.kernels[l] as Tensor2D, false, true)
      : this.mmShared(a, this.kernelsT[l] as Tensor2D);
  }

  /**
   * Splits w (not consumed; the net owns its own tensors: call `dispose`). `transposeFlags`
   * defaults to the active backend's better choice.
   */
  static from(
    arch: Architecture,
    w: Tensor1D,
    transposeFlags = transposeFlagsFor(tf.getBackend()),
  ): DenseNet {
    if (!analyticHvpSupported(arch)) {
      throw new Error(`the analytic HVP does not cover ${JSON.stringify(arch)}`);
    }
    const blocks = parameterLayout(arch);
    const layers = layerWidths(arch).length - 1;
    const kernels: Tensor2D[] = [];
    const kernelsT: Tensor2D[] = [];
    const biases: Tensor1D[] = [];
    tf.tidy(() => {
      for (let l = 0; l < layers; l++) {
        const kb = blocks[2 * l];
        const bb = blocks[2 * l + 1];
        if (!kb || !bb) throw new Error('parameter layout mismatch');
        const k = tf.reshape<tf.Rank.R2>(tf.slice(w, [kb.offset], [kb.size]), [
          kb.shape[0] as number,
          kb.shape[1] as number,
        ]);
        kernels.push(tf.keep(k));
        if (!transposeFlags) kernelsT.push(tf.keep(tf.transpose(k)));
        biases.push(tf.keep(tf.slice(w, [bb.offset], [bb.size])));
      }
    });
    const activation = arch.kind === 'mlp' ? arch.activation : 'none';
    return new DenseNet(arch, kernels, kernelsT, biases, activation, transposeFlags);
  }

  get layers(): number {
    return this.kernels.length;
  }

  dispose(): void {
    tf.dispose([...this.kernels, ...this.kernelsT, ...this.biases]);
  }
}

/**
 * A direction (or S stacked directions) in parameter space as per-layer blocks, in the layout's
 * order: [K_0, b_0, K_1, b_1, …]. Kernel blocks are [in, out] or [S, in, out]; bias blocks are
 * [1, out] or [S, 1, out] (the row axis kept, so they broadcast over rows).
 */
export type Blocks = Tensor[];

/** One flat vector v [p] as blocks ([in, out] / [1, out]). */
export const vectorBlocks = (arch: Architecture, v: Tensor1D): Blocks =>
  parameterLayout(arch).map((b) =>
    tf.reshape(
      tf.slice(v, [b.offset], [b.size]),
      b.shape.length === 2 ? [b.shape[0] as number, b.shape[1] as number] : [1, b.size],
    ),
  );

/** S flat vectors V [S, p] as stacked blocks ([S, in, out] / [S, 1, out]). */
export const stackedBlocks = (arch: Architecture, v: Tensor2D): Blocks => {
  const s = v.shape[0];
  return parameterLayout(arch).map((b) =>
    tf.reshape(
      tf.slice(v, [0, b.offset], [s, b.size]),
      b.shape.length === 2 ? [s, b.shape[0] as number, b.shape[1] as number] : [s, 1, b.size],
    ),
  );
};

/** Blocks back to one flat vector [p] (unstacked) or [S, p] (stacked). */
export const joinBlocks = (blocks: Blocks, stacked: boolean): Tensor => {
  if (!stacked) return tf.concat(blocks.map((b) => tf.reshape(b, [-1])));
  const s = blocks[0]?.shape[0] as number;
  return tf.concat(
    blocks.map((b) => tf.reshape(b, [s, -1])),
    1,
  );
};

/** What the forward pass leaves for the R-passes (depends on w and the rows only). */
interface Forward {
  /** a_0 = x, a_1, …, a_{L−1} (the inputs of each layer). */
  readonly inputs: Tensor[];
  /** φ'(z_l) per hidden layer. */
  readonly d1: Tensor[];
  /**
   * tanh only: −2·a_l per hidden layer, so that φ''(z_l) ⊙ Rz_l = −2a_l ⊙ φ'(z_l) ⊙ Rz_l =
   * −2a_l ⊙ Ra_l. ReLU has φ'' = 0.
   */
  readonly curl: (Tensor | undefined)[];
  /** softmax(z_L). */
  readonly p: Tensor;
}

const forward = (net: DenseNet, x: Tensor): Forward => {
  const inputs: Tensor[] = [x];
  const d1: Tensor[] = [];
  const curl: (Tensor | undefined)[] = [];
  let h = x;
  for (let l = 0; l < net.layers; l++) {
    const z = tf.add(net.mmK(h, l), net.biases[l] as Tensor1D);
    if (l + 1 === net.layers) {
      return { inputs, d1, curl, p: tf.softmax(z) };
    }
    if (net.activation === 'tanh') {
      h = tf.tanh(z);
      d1.push(tf.sub(1, tf.square(h)));
      curl.push(tf.mul(h, -2));
    } else {
      h = tf.relu(z);
      // φ'(z) = 1 where z > 0, else 0 (φ'(0) := 0, as the autodiff path): sign(relu(z)) in one
      // launch (tf.step is five kernels on native TensorFlow).
      d1.push(tf.sign(h));
      curl.push(undefined);
    }
    inputs.push(h);
  }
  throw new Error('a dense net has at least one layer');
};

/** Sums the terms of one output block in one launch where there are several. */
const sumTerms = (terms: Tensor[]): Tensor =>
  terms.length === 1
    ? (terms[0] as Tensor)
    : terms.length === 2
      ? tf.add(terms[0] as Tensor, terms[1] as Tensor)
      : tf.addN(terms);

/**
 * R(∇_w L_B)·V for the batch mean cross-entropy L_B of the rows (x, one-hot y), times `coef`:
 * coef·(∇²L_B)·V as blocks of V's shapes. x is [r, in] (shared rows) or [S, r, in] (rows per
 * direction, then y is [S, r, C] and V stacked with the same S). `plus[k]`, when given, are
 * tensors of block k's exact shape added to it in the same launch (LiSSA's g + (1 − (l2+λ)/H)·v).
 * Call inside tf.tidy.
 */
export const curvatureProduct = (
  net: DenseNet,
  x: Tensor,
  y: Tensor,
  v: Blocks,
  coef = 1,
  plus?: readonly (readonly Tensor[])[],
): Blocks => {
  const L = net.layers;
  const rows = x.shape[x.rank - 2] as number;
  const rowAxis = Math.max(x.rank, (v[0] as Tensor).rank) - 2;
  const f = forward(net, x);

  // R-forward. rz[l] = R z_l; ra[l] = R a_l, the input of layer l (R a_0 = R x = 0).
  const rz: Tensor[] = [];
  const ra: (Tensor | undefined)[] = [undefined];
  for (let l = 0; l < L; l++) {
    const a = f.inputs[l] as Tensor;
    const rIn = ra[l];
    let z = tf.add(tf.matMul(a, v[2 * l] as Tensor), v[2 * l + 1] as Tensor);
    if (rIn) z = tf.add(z, net.mmK(rIn, l));
    rz.push(z);
    if (l + 1 < L) ra.push(tf.mul(f.d1[l] as Tensor, z));
  }

  // Softmax cross-entropy: δ = c(p − y), Rδ = c·p ⊙ (Rz − ⟨p, Rz⟩).
  const c = tf.scalar(coef / rows);
  const zl = rz[L - 1] as Tensor;
  const cp = tf.mul(f.p, c);
  let delta = tf.sub(cp, tf.mul(y, c));
  let rdelta = tf.mul(cp, tf.sub(zl, tf.sum(tf.mul(f.p, zl), -1, true)));

  // R-backward.
  const out: Blocks = new Array<Tensor>(2 * L);
  const extra = (k: number): Tensor[] => [...(plus?.[k] ?? [])];
  for (let l = L - 1; l >= 0; l--) {
    const a = f.inputs[l] as Tensor;
    const rIn = ra[l];
    const gk = [net.mmTA(a, rdelta), ...extra(2 * l)];
    if (rIn) gk.push(net.mmTA(rIn, delta));
    out[2 * l] = sumTerms(gk);
    out[2 * l + 1] = sumTerms([tf.sum(rdelta, rowAxis, true), ...extra(2 * l + 1)]);
    if (l === 0) break;
    const e = net.mmKT(delta, l);
    const re = tf.add(net.mmKT(rdelta, l), net.mmTB(delta, v[2 * l] as Tensor));
    const d1 = f.d1[l - 1] as Tensor;
    const curl = f.curl[l - 1];
    delta = tf.mul(e, d1);
    rdelta = tf.mul(re, d1);
    if (curl) rdelta = tf.add(rdelta, tf.mul(tf.mul(e, curl), rIn as Tensor));
  }
  return out;
};
