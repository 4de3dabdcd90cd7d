import { UnlearningError, UnlearningErrorCodes } from '../domain/errors';
import type { Rng } from '../domain/random';

/**
 * Independent float64 reference MLP (no tfjs) for checking the tfjs engine: forward, mean softmax
 * cross-entropy loss, gradient by backprop, and the EXACT Hessian-vector product by Pearlmutter's
 * R-operator (forward-over-reverse), all written by hand.
 *
 * Architecture: dense → φ → dense → φ → … → dense (logits), φ ∈ {relu, tanh} on hidden layers,
 * softmax cross-entropy on the logits.
 *
 * Objective: L(w; batch) = (1/m)·Σᵢ CE(softmax(f(xᵢ; w)), yᵢ) + (l2/2)·‖w_R‖², where w_R is every
 * parameter (`l2Scope: 'all'`, what PyTorch's coupled weight_decay and the paper's λI shift act on)
 * or only the kernels W (`l2Scope: 'weights'`, Keras-style kernel regulariser). l2 = 0 disables it.
 *
 * Parameter layout (one flat Float64Array): for each layer l in order, the kernel W_l row-major
 * with shape [in × out] (W[i·out + j] connects input unit i to output unit j, as a tfjs dense
 * kernel), then the bias b_l [out]. Inputs x are row-major [m × in]; labels are class indices.
 *
 * ReLU: φ'(0) := 0 and φ'' := 0, so the HVP is the Hessian of the piecewise-quadratic model; it
 * matches finite differences away from the kinks.
 */
export type HiddenActivation = 'relu' | 'tanh';
export type L2Scope = 'all' | 'weights';

export interface MlpSpec {
  /** [input, hidden₁, …, classes]; at least 2 entries. */
  readonly layerSizes: readonly number[];
  readonly hiddenActivation: HiddenActivation;
  /** λ of (λ/2)‖w‖²; 0 for none. */
  readonly l2: number;
  readonly l2Scope: L2Scope;
}

export interface LayerLayout {
  readonly in: number;
  readonly out: number;
  readonly weightOffset: number;
  readonly biasOffset: number;
}

export interface MlpLayout {
  readonly paramCount: number;
  readonly layers: readonly LayerLayout[];
}

export interface LabelledBatch {
  /** Row-major [m × input]. */
  readonly x: Float64Array;
  /** m class indices. */
  readonly y: ArrayLike<number>;
}

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.MODEL_INVALID_INPUT, message, details);
};

export function mlpLayout(spec: MlpSpec): MlpLayout {
  const sizes: readonly number[] = spec.layerSizes;
  if (sizes === undefined || sizes.length < 2) fail('layerSizes needs at least [input, classes]');
  for (const s of sizes)
    if (!Number.isInteger(s) || s < 1) fail('layer sizes must be integers >= 1', { sizes });
  if (spec.hiddenActivation !== 'relu' && spec.hiddenActivation !== 'tanh') {
    fail('hiddenActivation must be relu|tanh', { hiddenActivation: spec.hiddenActivation });
  }
  if (!(spec.l2 >= 0) || !Number.isFinite(spec.l2))
    fail('l2 must be finite and >= 0', { l2: spec.l2 });
  if (spec.l2Scope !== 'all' && spec.l2Scope !== 'weights') fail('l2Scope must be all|weights');
  const layers: LayerLayout[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inN = sizes[l]!;
    const outN = sizes[l + 1]!;
    layers.push({ in: inN, out: outN, weightOffset: offset, biasOffset: offset + inN * outN });
    offset += inN * outN + outN;
  }
  return { paramCount: offset, layers };
}

/** PyTorch nn.Linear default init: W and b ~ U(−1/√fan_in, 1/√fan_in). */
export function mlpInitParams(spec: MlpSpec, rng: Rng): Float64Array {
  const { paramCount, layers } = mlpLayout(spec);
  const w = new Float64Array(paramCount);
  for (const layer of layers) {
    const bound = 1 / Math.sqrt(layer.in);
    for (let k = layer.weightOffset; k < layer.biasOffset + layer.out; k++) {
      w[k] = (2 * rng.nextFloat() - 1) * bound;
    }
  }
  return w;
}

function checkParams(layout: MlpLayout, params: Float64Array, name = 'params'): void {
  if (!(params instanceof Float64Array) || params.length !== layout.paramCount) {
    fail(`${name} must be a Float64Array of length ${layout.paramCount}`, {
      length: params?.length,
    });
  }
}

function checkBatch(spec: MlpSpec, batch: LabelledBatch): number {
  const inN = spec.layerSizes[0]!;
  const classes = spec.layerSizes[spec.layerSizes.length - 1]!;
  const m = batch.y.length;
  if (m < 1) fail('batch must not be empty');
  if (batch.x.length !== m * inN)
    fail('x must be [m × input] row-major', { x: batch.x.length, m, inN });
  for (let i = 0; i < m; i++) {
    const c = batch.y[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      fail('label out of range', { index: i, label: c });
  }
  return m;
}

interface ForwardTrace {
  /** activations[l] = input of layer l ([m × in_l]); activations[0] = x. */
  readonly activations: Float64Array[];
  /** logits [m × classes]. */
  readonly logits: Float64Array;
}

function forwardTrace(
  spec: MlpSpec,
  layout: MlpLayout,
  w: Float64Array,
  x: Float64Array,
  m: number,
): ForwardTrace {
  const activations: Float64Array[] = [x];
  let a = x;
  const L = layout.layers.length;
  let z = new Float64Array(0);
  for (let l = 0; l < L; l++) {
    const { in: inN, out, weightOffset, biasOffset } = layout.layers[l]!;
    z = new Float64Array(m * out);
    for (let r = 0; r < m; r++) {
      const zr = r * out;
      for (let j = 0; j < out; j++) z[zr + j] = w[biasOffset + j]!;
      for (let i = 0; i < inN; i++) {
        const ai = a[r * inN + i]!;
        if (ai === 0) continue;
        const wi = weightOffset + i * out;
        for (let j = 0; j < out; j++) z[zr + j]! += ai * w[wi + j]!;
      }
    }
    if (l < L - 1) {
      const next = new Float64Array(m * out);
      if (spec.hiddenActivation === 'tanh')
        for (let k = 0; k < z.length; k++) next[k] = Math.tanh(z[k]!);
      else for (let k = 0; k < z.length; k++) next[k] = z[k]! > 0 ? z[k]! : 0;
      activations.push(next);
      a = next;
    }
  }
  return { activations, logits: z };
}

/** Row-wise softmax of [m × k] logits (max-shifted). */
function softmaxRows(z: Float64Array, m: number, k: number): Float64Array {
  const p = new Float64Array(m * k);
  for (let r = 0; r < m; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, z[r * k + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(z[r * k + j]! - max);
      p[r * k + j] = e;
      s += e;
    }
    for (let j = 0; j < k; j++) p[r * k + j]! /= s;
  }
  return p;
}

function crossEntropyMean(z: Float64Array, y: ArrayLike<number>, m: number, k: number): number {
  let total = 0;
  for (let r = 0; r < m; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, z[r * k + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(z[r * k + j]! - max);
    total += max + Math.log(s) - z[r * k + y[r]!]!;
  }
  return total / m;
}

function regularisedIndex(layout: MlpLayout, scope: L2Scope): (k: number) => boolean {
  if (scope === 'all') return () => true;
  const mask = new Uint8Array(layout.paramCount);
  for (const l of layout.layers) mask.fill(1, l.weightOffset, l.biasOffset);
  return (k) => mask[k] === 1;
}

function regulariserValue(spec: MlpSpec, layout: MlpLayout, w: Float64Array): number {
  if (spec.l2 === 0) return 0;
  const inScope = regularisedIndex(layout, spec.l2Scope);
  let s = 0;
  for (let k = 0; k < w.length; k++) if (inScope(k)) s += w[k]! * w[k]!;
  return 0.5 * spec.l2 * s;
}

function addScaled(
  spec: MlpSpec,
  layout: MlpLayout,
  target: Float64Array,
  src: Float64Array,
): void {
  if (spec.l2 === 0) return;
  const inScope = regularisedIndex(layout, spec.l2Scope);
  for (let k = 0; k < target.length; k++) if (inScope(k)) target[k]! += spec.l2 * src[k]!;
}

/** Logits [m × classes] for inputs x [m × input]. */
export function mlpForward(spec: MlpSpec, params: Float64Array, x: Float64Array): Float64Array {
  const layout = mlpLayout(spec);
  checkParams(layout, params);
  const inN = spec.layerSizes[0]!;
  if (x.length % inN !== 0)
    fail('x length is not a multiple of the input size', { x: x.length, inN });
  return forwardTrace(spec, layout, params, x, x.length / inN).logits;
}

/** Softmax posteriors [m × classes]. */
export function mlpPredictProba(
  spec: MlpSpec,
  params: Float64Array,
  x: Float64Array,
): Float64Array {
  const logits = mlpForward(spec, params, x);
  const k = spec.layerSizes[spec.layerSizes.length - 1]!;
  return softmaxRows(logits, logits.length / k, k);
}

/** Mean cross-entropy + (l2/2)‖w_R‖². */
export function mlpLoss(spec: MlpSpec, params: Float64Array, batch: LabelledBatch): number {
  const layout = mlpLayout(spec);
  checkParams(layout, params);
  const m = checkBatch(spec, batch);
  const k = spec.layerSizes[spec.layerSizes.length - 1]!;
  const { logits } = forwardTrace(spec, layout, params, batch.x, m);
  return crossEntropyMean(logits, batch.y, m, k) + regulariserValue(spec, layout, params);
}

/** Per-layer derivative factors of the hidden activation, from the post-activation values. */
function activationDerivatives(
  act: HiddenActivation,
  a: Float64Array,
): { d1: Float64Array; d2: Float64Array } {
  const d1 = new Float64Array(a.length);
  const d2 = new Float64Array(a.length);
  if (act === 'tanh') {
    for (let k = 0; k < a.length; k++) {
      const t = a[k]!;
      const s = 1 - t * t;
      d1[k] = s;
      d2[k] = -2 * t * s;
    }
  } else {
    for (let k = 0; k < a.length; k++) d1[k] = a[k]! > 0 ? 1 : 0;
  }
  return { d1, d2 };
}

export interface LossAndGradient {
  readonly loss: number;
  readonly gradient: Float64Array;
}

/** Loss and its exact gradient (backprop), same layout as params. */
export function mlpLossAndGradient(
  spec: MlpSpec,
  params: Float64Array,
  batch: LabelledBatch,
): LossAndGradient {
  const layout = mlpLayout(spec);
  checkParams(layout, params);
  const m = checkBatch(spec, batch);
  const k = spec.layerSizes[spec.layerSizes.length - 1]!;
  const { activations, logits } = forwardTrace(spec, layout, params, batch.x, m);
  const loss = crossEntropyMean(logits, batch.y, m, k) + regulariserValue(spec, layout, params);
  const grad = new Float64Array(layout.paramCount);
  // δ at the logits: (softmax − onehot)/m
  let delta = softmaxRows(logits, m, k);
  for (let r = 0; r < m; r++) delta[r * k + batch.y[r]!]! -= 1;
  for (let q = 0; q < delta.length; q++) delta[q]! /= m;
  for (let l = layout.layers.length - 1; l >= 0; l--) {
    const { in: inN, out, weightOffset, biasOffset } = layout.layers[l]!;
    const a = activations[l]!;
    for (let r = 0; r < m; r++) {
      for (let i = 0; i < inN; i++) {
        const ai = a[r * inN + i]!;
        if (ai === 0) continue;
        const gi = weightOffset + i * out;
        for (let j = 0; j < out; j++) grad[gi + j]! += ai * delta[r * out + j]!;
      }
      for (let j = 0; j < out; j++) grad[biasOffset + j]! += delta[r * out + j]!;
    }
    if (l > 0) {
      const { d1 } = activationDerivatives(spec.hiddenActivation, a);
      const prev = new Float64Array(m * inN);
      for (let r = 0; r < m; r++) {
        for (let i = 0; i < inN; i++) {
          let s = 0;
          const wi = weightOffset + i * out;
          for (let j = 0; j < out; j++) s += delta[r * out + j]! * params[wi + j]!;
          prev[r * inN + i] = s * d1[r * inN + i]!;
        }
      }
      delta = prev;
    }
  }
  addScaled(spec, layout, grad, params);
  return { loss, gradient: grad };
}

/**
 * Exact Hessian-vector product H(w)·v of the objective, by Pearlmutter's R-operator:
 * forward pass of R{z}, R{a}; reverse pass of R{δ}, R{∇W}, R{∇b}. Cost ≈ 2–3 gradient passes.
 */
export function mlpHessianVectorProduct(
  spec: MlpSpec,
  params: Float64Array,
  batch: LabelledBatch,
  v: Float64Array,
): Float64Array {
  const layout = mlpLayout(spec);
  checkParams(layout, params);
  checkParams(layout, v, 'v');
  const m = checkBatch(spec, batch);
  const k = spec.layerSizes[spec.layerSizes.length - 1]!;
  const Lyr = layout.layers.length;
  const { activations, logits } = forwardTrace(spec, layout, params, batch.x, m);
  const derivs = activations.map((a, l) =>
    l === 0 ? undefined : activationDerivatives(spec.hiddenActivation, a),
  );

  // R-forward: Rz_l = Ra_l·W_l + a_l·V_l + Vb_l ; Ra_{l+1} = φ'(z_l) ⊙ Rz_l
  const rActs: Float64Array[] = [new Float64Array(batch.x.length)];
  const rZs: Float64Array[] = [];
  for (let l = 0; l < Lyr; l++) {
    const { in: inN, out, weightOffset, biasOffset } = layout.layers[l]!;
    const a = activations[l]!;
    const ra = rActs[l]!;
    const rz = new Float64Array(m * out);
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < out; j++) rz[r * out + j] = v[biasOffset + j]!;
      for (let i = 0; i < inN; i++) {
        const ai = a[r * inN + i]!;
        const rai = ra[r * inN + i]!;
        if (ai === 0 && rai === 0) continue;
        const wi = weightOffset + i * out;
        for (let j = 0; j < out; j++) rz[r * out + j]! += rai * params[wi + j]! + ai * v[wi + j]!;
      }
    }
    rZs.push(rz);
    if (l < Lyr - 1) {
      const d1 = derivs[l + 1]!.d1;
      const next = new Float64Array(m * out);
      for (let q = 0; q < next.length; q++) next[q] = d1[q]! * rz[q]!;
      rActs.push(next);
    }
  }

  // Output layer: δ = (P − Y)/m, Rδ = P ⊙ (Rz − ⟨P, Rz⟩)/m per row.
  const P = softmaxRows(logits, m, k);
  let delta = new Float64Array(P);
  for (let r = 0; r < m; r++) delta[r * k + batch.y[r]!]! -= 1;
  for (let q = 0; q < delta.length; q++) delta[q]! /= m;
  const rzL = rZs[Lyr - 1]!;
  let rDelta = new Float64Array(m * k);
  for (let r = 0; r < m; r++) {
    let pz = 0;
    for (let j = 0; j < k; j++) pz += P[r * k + j]! * rzL[r * k + j]!;
    for (let j = 0; j < k; j++) rDelta[r * k + j] = (P[r * k + j]! * (rzL[r * k + j]! - pz)) / m;
  }

  const hv = new Float64Array(layout.paramCount);
  for (let l = Lyr - 1; l >= 0; l--) {
    const { in: inN, out, weightOffset, biasOffset } = layout.layers[l]!;
    const a = activations[l]!;
    const ra = rActs[l]!;
    for (let r = 0; r < m; r++) {
      for (let i = 0; i < inN; i++) {
        const ai = a[r * inN + i]!;
        const rai = ra[r * inN + i]!;
        const gi = weightOffset + i * out;
        for (let j = 0; j < out; j++)
          hv[gi + j]! += rai * delta[r * out + j]! + ai * rDelta[r * out + j]!;
      }
      for (let j = 0; j < out; j++) hv[biasOffset + j]! += rDelta[r * out + j]!;
    }
    if (l > 0) {
      const { d1, d2 } = derivs[l]!;
      const rzPrev = rZs[l - 1]!;
      const prev = new Float64Array(m * inN);
      const rPrev = new Float64Array(m * inN);
      for (let r = 0; r < m; r++) {
        for (let i = 0; i < inN; i++) {
          let da = 0;
          let rda = 0;
          const wi = weightOffset + i * out;
          for (let j = 0; j < out; j++) {
            const dj = delta[r * out + j]!;
            da += dj * params[wi + j]!;
            rda += rDelta[r * out + j]! * params[wi + j]! + dj * v[wi + j]!;
          }
          const q = r * inN + i;
          prev[q] = d1[q]! * da;
          rPrev[q] = d1[q]! * rda + d2[q]! * rzPrev[q]! * da;
        }
      }
      delta = prev;
      rDelta = rPrev;
    }
  }
  addScaled(spec, layout, hv, v);
  return hv;
}
