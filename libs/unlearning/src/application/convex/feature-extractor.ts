import { createHash } from 'node:crypto';
import { layerWidths, parameterLayout } from '../model/architecture';
import type { Dataset } from '../model/dataset';
import type { TrainedModel } from '../trained-model';
import { unlearningError, EngineErrorCode } from '../errors';
import { createRng, gaussianVector, type Seed } from '../../domain/random';

/**
 * A frozen feature extractor for `convex-newton` (docs/method.md#10-convex-newton-certified-removal-for-a-strongly-convex-model,
 * docs/adr/0011-convex-newton.md "The frozen extractor"): φ(x) = act(Wᵀx + b), W [inputDim × outputDim]
 * row-major then b, fixed before the convex head is trained. The certificate stays exact about
 * what it covers only if φ never saw a record that may be deleted: φ is either a seeded random
 * map (data-free) or the hidden layer of an MLP trained only on a designated set that is never
 * subject to deletion, and every use checks that the deletable data shares no id with that set.
 *
 * Public: kind, dims, activation, digest, provenance (description, the training set's digest and
 * size). The training set's ids are kept for the disjointness check; they are ids of
 * non-deletable (public) data.
 */
export type ExtractorKind = 'random-features' | 'mlp-hidden';
export type ExtractorActivation = 'tanh' | 'relu';

export interface ExtractorProvenance {
  /** How it was made, in words (public). */
  readonly description: string;
  /** Digest of the data it was trained on (`datasetDigest`), or 'none' for a data-free map. */
  readonly trainedOnDigest: string;
  readonly trainedOnCount: number;
  /** Ids of the (never deletable) records it was trained on; empty for a data-free map. */
  readonly trainedOnIds: readonly string[];
}

export interface FeatureExtractor {
  readonly kind: ExtractorKind;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly activation: ExtractorActivation;
  /** W (inputDim × outputDim, row-major) then b (outputDim). */
  readonly weights: Float32Array;
  /** sha256 over kind, dims, activation and the little-endian float32 weights. */
  readonly digest: string;
  readonly provenance: ExtractorProvenance;
}

/** What a certificate records about the extractor: public values only. */
export interface ExtractorRecord {
  readonly kind: ExtractorKind;
  readonly digest: string;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly activation: ExtractorActivation;
  readonly provenance: string;
  readonly trainedOnDigest: string;
  readonly trainedOnCount: number;
}

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  unlearningError(EngineErrorCode.InvalidSettings, message, details, 'validation');

export const extractorDigest = (
  kind: ExtractorKind,
  inputDim: number,
  outputDim: number,
  activation: ExtractorActivation,
  weights: Float32Array,
): string => {
  const h = createHash('sha256');
  h.update(`lethe-extractor/v1/${kind}/${inputDim}/${outputDim}/${activation}/`);
  const le = new Uint8Array(weights.length * 4);
  const view = new DataView(le.buffer);
  weights.forEach((v, i) => view.setFloat32(4 * i, v, true));
  h.update(le);
  return h.digest('hex');
};

const make = (
  kind: ExtractorKind,
  inputDim: number,
  outputDim: number,
  activation: ExtractorActivation,
  weights: Float32Array,
  provenance: ExtractorProvenance,
): FeatureExtractor => {
  if (!(Number.isInteger(inputDim) && inputDim > 0 && Number.isInteger(outputDim) && outputDim > 0))
    throw invalid('extractor dimensions must be positive integers', { inputDim, outputDim });
  if (weights.length !== (inputDim + 1) * outputDim)
    throw invalid('extractor weights must be (inputDim + 1)·outputDim', { length: weights.length });
  return {
    kind,
    inputDim,
    outputDim,
    activation,
    weights,
    digest: extractorDigest(kind, inputDim, outputDim, activation, weights),
    provenance,
  };
};

/**
 * A data-free extractor: φ(x) = tanh(Wᵀx + b), W ~ N(0, scale²/inputDim), b ~ N(0, 1), from `seed`.
 * Needs no deletion-free data (it sees none).
 */
export const randomFeatureExtractor = (opts: {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly seed: Seed;
  readonly scale?: number;
}): FeatureExtractor => {
  const { inputDim, outputDim } = opts;
  const rng = createRng(opts.seed);
  const scale = opts.scale ?? 1;
  const w = gaussianVector(rng, inputDim * outputDim, scale / Math.sqrt(inputDim));
  const b = gaussianVector(rng, outputDim, 1);
  const weights = new Float32Array((inputDim + 1) * outputDim);
  weights.set(w);
  weights.set(b, inputDim * outputDim);
  return make('random-features', inputDim, outputDim, 'tanh', weights, {
    description: `seeded random features tanh(Wᵀx + b), W ~ N(0, ${scale}²/${inputDim}), seed ${String(opts.seed)}: sees no data`,
    trainedOnDigest: 'none',
    trainedOnCount: 0,
    trainedOnIds: [],
  });
};

/**
 * The first hidden layer of an MLP (φ(x) = act(W₀ᵀx + b₀)) trained by Lethe ONLY on `trainedOn`, a
 * set that is never subject to deletion. `trainedOn` must be the data `model` was trained on
 * (its digest is checked against the model's profile).
 */
export const mlpHiddenExtractor = (
  model: TrainedModel,
  trainedOn: { readonly data: Dataset; readonly digest: string; readonly description: string },
): FeatureExtractor => {
  if (model.arch.kind !== 'mlp' || model.arch.layers.length < 3)
    throw invalid('an mlp-hidden extractor needs an MLP with a hidden layer');
  if (model.profile.dataDigest !== trainedOn.digest)
    throw invalid('the extractor model was not trained on the stated non-deletable data', {
      profileDigest: model.profile.dataDigest,
    });
  const widths = layerWidths(model.arch);
  const inputDim = widths[0] as number;
  const outputDim = widths[1] as number;
  const [kernel, bias] = parameterLayout(model.arch);
  if (!kernel || !bias) throw invalid('the MLP has no first layer');
  const weights = new Float32Array((inputDim + 1) * outputDim);
  weights.set(model.params.subarray(kernel.offset, kernel.offset + kernel.size));
  weights.set(model.params.subarray(bias.offset, bias.offset + bias.size), inputDim * outputDim);
  return make('mlp-hidden', inputDim, outputDim, model.arch.activation, weights, {
    description: trainedOn.description,
    trainedOnDigest: trainedOn.digest,
    trainedOnCount: trainedOn.data.ids.length,
    trainedOnIds: [...trainedOn.data.ids],
  });
};

export const extractorRecord = (e: FeatureExtractor): ExtractorRecord => ({
  kind: e.kind,
  digest: e.digest,
  inputDim: e.inputDim,
  outputDim: e.outputDim,
  activation: e.activation,
  provenance: e.provenance.description,
  trainedOnDigest: e.provenance.trainedOnDigest,
  trainedOnCount: e.provenance.trainedOnCount,
});

/**
 * Throws INVALID_UNLEARNING_SETTINGS when `data` (the deletable training data, raw or featurised:
 * ids are kept) shares a record id with the extractor's training set, or when the extractor's
 * digest does not match its weights.
 */
export const assertExtractorIndependent = (e: FeatureExtractor, data: Dataset): void => {
  if (extractorDigest(e.kind, e.inputDim, e.outputDim, e.activation, e.weights) !== e.digest)
    throw invalid('the extractor digest does not match its weights');
  if (e.provenance.trainedOnIds.length === 0) return;
  const seen = new Set(e.provenance.trainedOnIds);
  const shared = data.ids.filter((id) => seen.has(id)).length;
  if (shared > 0)
    throw invalid('the feature extractor was trained on records that may be deleted', {
      sharedRecords: shared,
    });
};

/** φ applied to every row (float64 sums, stored float32); ids, labels and classes are kept. */
export const featurize = (e: FeatureExtractor, data: Dataset): Dataset => {
  if (data.dim !== e.inputDim)
    throw invalid('the dataset does not fit the extractor', {
      dim: data.dim,
      inputDim: e.inputDim,
    });
  assertExtractorIndependent(e, data);
  const n = data.labels.length;
  const { inputDim: d, outputDim: h, weights } = e;
  const out = new Float32Array(n * h);
  const z = new Float64Array(h);
  const biasAt = d * h;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < h; j++) z[j] = weights[biasAt + j] as number;
    const off = r * d;
    for (let i = 0; i < d; i++) {
      const xi = data.features[off + i] as number;
      if (xi === 0) continue;
      const row = i * h;
      for (let j = 0; j < h; j++) z[j] = (z[j] as number) + xi * (weights[row + j] as number);
    }
    for (let j = 0; j < h; j++) {
      const v = z[j] as number;
      out[r * h + j] = e.activation === 'tanh' ? Math.tanh(v) : Math.max(0, v);
    }
  }
  return {
    name: `${data.name}/features:${e.digest.slice(0, 12)}`,
    features: out,
    labels: data.labels,
    ids: data.ids,
    dim: h,
    classes: data.classes,
  };
};
