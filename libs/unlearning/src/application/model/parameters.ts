import { unlearningError, EngineErrorCode } from '../errors';
import { parameterLayout, type Architecture } from './architecture';

/** One named parameter tensor of a model, as a view into (or copy of) the flat vector. */
export interface ParameterTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The flat vector split into the layout's tensors (views, no copy). */
export const unflattenParameters = (
  arch: Architecture,
  params: Float32Array,
): ParameterTensor[] => {
  const layout = parameterLayout(arch);
  const total = layout.reduce((s, b) => s + b.size, 0);
  if (params.length !== total) {
    throw unlearningError(
      EngineErrorCode.InvalidWeights,
      `expected ${total} parameters, got ${params.length}`,
      {},
      'validation',
    );
  }
  return layout.map((b) => ({
    name: b.name,
    shape: b.shape,
    values: params.subarray(b.offset, b.offset + b.size),
  }));
};

/** The inverse of unflattenParameters: tensors (in layout order, by name) into one flat vector. */
export const flattenParameters = (
  arch: Architecture,
  tensors: readonly ParameterTensor[],
): Float32Array => {
  const layout = parameterLayout(arch);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const out = new Float32Array(layout.reduce((s, b) => s + b.size, 0));
  for (const b of layout) {
    const t = byName.get(b.name);
    if (!t || t.values.length !== b.size) {
      throw unlearningError(
        EngineErrorCode.InvalidWeights,
        `parameter ${b.name} is missing or has the wrong size`,
        { expected: b.size, got: t?.values.length },
        'validation',
      );
    }
    out.set(t.values, b.offset);
  }
  return out;
};
