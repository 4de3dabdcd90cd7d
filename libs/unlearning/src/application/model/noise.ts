import { randomFillSync } from 'node:crypto';
import type { Seed } from '../../domain/random';
import { createRng } from './rng';

/**
 * Fills a Uint32Array with random words. The release noise uses `node:crypto` (a CSPRNG); tests
 * may inject another source to check the sampler itself.
 */
export type RandomWords = (out: Uint32Array) => void;

export const cryptoRandomWords: RandomWords = (out) => {
  randomFillSync(out);
};

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

/**
 * n standard normals in float64, Box–Muller on uniforms with 53 random bits each
 * (u = (a·2^26 + b)/2^53 from a 27-bit and a 26-bit word), drawn from `words`.
 */
export const standardNormals = (
  n: number,
  words: RandomWords = cryptoRandomWords,
): Float64Array => {
  const out = new Float64Array(n);
  const pairs = Math.ceil(n / 2);
  const chunkPairs = 4096;
  const buf = new Uint32Array(chunkPairs * 4);
  let i = 0;
  for (let done = 0; done < pairs; done += chunkPairs) {
    words(buf);
    const m = Math.min(chunkPairs, pairs - done);
    for (let j = 0; j < m; j++) {
      const a1 = (buf[4 * j] as number) >>> 5;
      const b1 = (buf[4 * j + 1] as number) >>> 6;
      const a2 = (buf[4 * j + 2] as number) >>> 5;
      const b2 = (buf[4 * j + 3] as number) >>> 6;
      // u1 ∈ (0, 1] (log never sees 0), u2 ∈ [0, 1).
      const u1 = (a1 * TWO_POW_26 + b1 + 1) / TWO_POW_53;
      const u2 = (a2 * TWO_POW_26 + b2) / TWO_POW_53;
      const r = Math.sqrt(-2 * Math.log(u1));
      const t = 2 * Math.PI * u2;
      out[i++] = r * Math.cos(t);
      if (i < n) out[i++] = r * Math.sin(t);
    }
  }
  return out;
};

/**
 * The released model: params + N(0, σ²I) with the noise drawn from a CSPRNG (node:crypto), never
 * from a seed, so nobody (the operator included) can regenerate it and subtract it (ADR 0004).
 * Sampled and added in float64; the sum is stored as float32 (the weights file's format), so each
 * coordinate carries at most half an ulp of float32 rounding on top of the Gaussian draw. A new
 * array; the input (the private noise-free chain state) is never modified.
 */
export const addReleaseNoise = (
  params: Float32Array,
  sigma: number,
  words: RandomWords = cryptoRandomWords,
): Float32Array => {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new Error(`sigma must be >= 0, got ${sigma}`);
  const out = Float32Array.from(params);
  if (sigma === 0) return out;
  const z = standardNormals(out.length, words);
  for (let i = 0; i < out.length; i++) out[i] = (params[i] as number) + sigma * (z[i] as number);
  return out;
};

/**
 * SEEDED N(0, σ²I) noise for experiments and benches only (e.g. the accuracy of a noised model
 * averaged over reproducible draws). NEVER use it for a release: a seeded draw can be regenerated
 * and subtracted (use `addReleaseNoise`). A new array; the input is never modified.
 */
export const addGaussianNoise = (params: Float32Array, sigma: number, seed: Seed): Float32Array => {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new Error(`sigma must be >= 0, got ${sigma}`);
  const out = Float32Array.from(params);
  if (sigma === 0) return out;
  const rng = createRng(seed);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + sigma * rng.normal();
  return out;
};
