import { createRng } from '../../application/model/rng';
import {
  parameterCount,
  parameterLayout,
  type Architecture,
} from '../../application/model/architecture';

/**
 * Seeded initialisation with PyTorch's defaults for nn.Linear (parity with the official code):
 * every weight and bias ~ U(−1/sqrt(fan_in), 1/sqrt(fan_in)). Biases are therefore non-zero, which
 * also keeps ReLU pre-activations off the kink at 0.
 */
export const initialParameters = (arch: Architecture, seed: number | string): Float32Array => {
  const rng = createRng(`init/${String(seed)}`);
  const w = new Float32Array(parameterCount(arch));
  for (const block of parameterLayout(arch)) {
    const bound = 1 / Math.sqrt(block.fanIn);
    for (let i = 0; i < block.size; i++) w[block.offset + i] = (2 * rng.uniform() - 1) * bound;
  }
  return w;
};
