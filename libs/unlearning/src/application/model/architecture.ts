import { unlearningError, EngineErrorCode } from '../errors';

export type Activation = 'relu' | 'tanh';

/** Fully connected net: layers = [input, hidden..., classes]; activation between hidden layers. */
export interface MlpArchitecture {
  readonly kind: 'mlp';
  readonly layers: readonly number[];
  readonly activation: Activation;
}

/** Multinomial logistic (softmax) regression: one linear layer, convex with an L2 term. */
export interface LogisticRegressionArchitecture {
  readonly kind: 'logistic-regression';
  readonly inputDim: number;
  readonly classes: number;
}

export type Architecture = MlpArchitecture | LogisticRegressionArchitecture;

/** The paper's MNIST model: 784-32-32-10, ReLU (p = 26,506). */
export const paperMnistMlp = (): MlpArchitecture => ({
  kind: 'mlp',
  layers: [784, 32, 32, 10],
  activation: 'relu',
});

export const mlp = (layers: readonly number[], activation: Activation = 'relu'): MlpArchitecture =>
  validateArchitecture({ kind: 'mlp', layers: [...layers], activation }) as MlpArchitecture;

export const logisticRegression = (inputDim: number, classes = 2): LogisticRegressionArchitecture =>
  validateArchitecture({
    kind: 'logistic-regression',
    inputDim,
    classes,
  }) as LogisticRegressionArchitecture;

/** Dense layer widths [in, ..., out] of any supported architecture. */
export const layerWidths = (arch: Architecture): readonly number[] =>
  arch.kind === 'mlp' ? arch.layers : [arch.inputDim, arch.classes];

export const inputDim = (arch: Architecture): number => layerWidths(arch)[0] as number;
export const classCount = (arch: Architecture): number => {
  const w = layerWidths(arch);
  return w[w.length - 1] as number;
};

export interface ParamBlock {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  /** fan-in of the layer the block belongs to (initialisation). */
  readonly fanIn: number;
}

/**
 * Flat parameter layout, the one used everywhere (flat vector, weights file, float64 oracle
 * adapters): for each dense layer l = 0..L-1, first W_l with shape [in, out] row-major
 * (W_l[i][j] at offset + i*out + j), then b_l with shape [out].
 */
export const parameterLayout = (arch: Architecture): readonly ParamBlock[] => {
  const widths = layerWidths(arch);
  const blocks: ParamBlock[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l] as number;
    const out = widths[l + 1] as number;
    blocks.push({
      name: `dense${l}/kernel`,
      shape: [fanIn, out],
      offset,
      size: fanIn * out,
      fanIn,
    });
    offset += fanIn * out;
    blocks.push({ name: `dense${l}/bias`, shape: [out], offset, size: out, fanIn });
    offset += out;
  }
  return blocks;
};

export const parameterCount = (arch: Architecture): number =>
  parameterLayout(arch).reduce((s, b) => s + b.size, 0);

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Validates an architecture (e.g. parsed from a weights file); returns it normalised. */
export const validateArchitecture = (raw: unknown): Architecture => {
  const bad = (why: string) =>
    unlearningError(
      EngineErrorCode.InvalidArchitecture,
      `invalid architecture: ${why}`,
      {
        architecture: raw,
      },
      'validation',
    );
  if (typeof raw !== 'object' || raw === null) throw bad('not an object');
  const a = raw as Record<string, unknown>;
  if (a['kind'] === 'mlp') {
    const layers = a['layers'];
    if (!Array.isArray(layers) || layers.length < 2 || !layers.every(isPosInt)) {
      throw bad('layers must be >= 2 positive integers');
    }
    if (a['activation'] !== 'relu' && a['activation'] !== 'tanh') throw bad('activation');
    if ((layers[layers.length - 1] as number) < 2) throw bad('need >= 2 classes');
    return { kind: 'mlp', layers: [...layers], activation: a['activation'] };
  }
  if (a['kind'] === 'logistic-regression') {
    if (!isPosInt(a['inputDim']) || !isPosInt(a['classes']) || a['classes'] < 2) {
      throw bad('inputDim / classes');
    }
    return { kind: 'logistic-regression', inputDim: a['inputDim'], classes: a['classes'] };
  }
  throw bad(`unknown kind ${String(a['kind'])}`);
};

/** Canonical JSON of an architecture (sorted keys), as stored in weights files. */
export const architectureJson = (arch: Architecture): string => {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(arch));
};
