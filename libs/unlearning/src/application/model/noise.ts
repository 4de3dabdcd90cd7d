import type { Seed } from '../../domain/random';
import { createRng } from './rng';

/**
 * The released model: params + N(0, σ²I), drawn from a seeded stream. A new array; the input
 * (the private noise-free chain state) is never modified.
 */
export const addGaussianNoise = (params: Float32Array, sigma: number, seed: Seed): Float32Array => {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new Error(`sigma must be >= 0, got ${sigma}`);
  const out = Float32Array.from(params);
  if (sigma === 0) return out;
  const rng = createRng(seed);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + sigma * rng.normal();
  return out;
};
