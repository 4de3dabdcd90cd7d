import { UnlearningError, UnlearningErrorCodes } from './errors';

/**
 * Seeded randomness for everything in Lethe that must be reproducible (Gaussian release noise,
 * LiSSA minibatch draws, shuffles, synthetic data in tests). Generator: xoshiro128** 1.1
 * (Blackman & Vigna), 128-bit state, period 2^128 − 1, seeded through splitmix32 so that any
 * 32-bit seed (or string, hashed with FNV-1a) gives a well-mixed, never-all-zero state.
 *
 * Not cryptographic. Reproducibility contract: the same seed gives the same stream on every
 * JavaScript engine (only 32-bit integer ops, Math.imul, and IEEE float64 maths are used; the
 * Gaussian sampler uses Math.log/cos/sin, whose last-bit results may differ across engines).
 */
export type Seed = number | string;

/** The 4 × uint32 state of xoshiro128**, enough to resume a stream exactly. */
export type RngState = readonly [number, number, number, number];

export interface Rng {
  /** Next raw 32-bit output, as an unsigned integer in [0, 2^32). */
  nextUint32(): number;
  /** Uniform float64 in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Uniform integer in [0, maxExclusive), unbiased (rejection); maxExclusive ≤ 2^32. */
  nextInt(maxExclusive: number): number;
  /** Snapshot of the state (to persist and resume with `rngFromState`). */
  state(): RngState;
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** FNV-1a 32-bit hash of a UTF-16 string (code units), used to turn string seeds into numbers. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function seedToUint32(seed: Seed): number {
  if (typeof seed === 'string') return hashString(seed);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new UnlearningError(
      UnlearningErrorCodes.UNLEARNING_INVALID_INPUT,
      'seed must be a non-negative safe integer or a string',
      { seed },
    );
  }
  // Fold the high bits in so that seeds above 2^32 still differ.
  return ((seed % 0x100000000) ^ Math.floor(seed / 0x100000000)) >>> 0;
}

/** splitmix32 step: returns [output, nextState]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z = (z ^ (z >>> 15)) >>> 0;
  return [z, next];
}

class Xoshiro128StarStar implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(state: RngState) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((x) => x >>> 0) as [
      number,
      number,
      number,
      number,
    ];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new UnlearningError(
        UnlearningErrorCodes.UNLEARNING_INVALID_INPUT,
        'xoshiro128** state must not be all zero',
      );
    }
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992; // (hi·2^26 + lo) / 2^53
  }

  nextInt(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 0x100000000) {
      throw new UnlearningError(
        UnlearningErrorCodes.UNLEARNING_INVALID_INPUT,
        'nextInt bound must be an integer in [1, 2^32]',
        { maxExclusive },
      );
    }
    // Rejection sampling: accept x < limit, where limit is the largest multiple of the bound.
    const limit = 0x100000000 - (0x100000000 % maxExclusive);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % maxExclusive;
    }
  }

  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }
}

/** A new generator from a seed (non-negative safe integer, or any string). */
export function createRng(seed: Seed): Rng {
  let sm = seedToUint32(seed);
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [out, next] = splitmix32(sm);
    words.push(out);
    sm = next;
  }
  if ((words[0]! | words[1]! | words[2]! | words[3]!) === 0) words[0] = 1; // unreachable in practice
  return new Xoshiro128StarStar(words as unknown as RngState);
}

/** Resume a generator from a snapshot taken with `rng.state()`. */
export function rngFromState(state: RngState): Rng {
  return new Xoshiro128StarStar(state);
}

/**
 * A child seed for an independent, named sub-stream (e.g. deriveSeed(jobSeed, 'noise'),
 * deriveSeed(jobSeed, 'lissa', chain)). Deterministic; distinct labels give unrelated streams.
 */
export function deriveSeed(seed: Seed, ...labels: ReadonlyArray<string | number>): number {
  let h = seedToUint32(seed);
  for (const label of labels) {
    h = (hashString(String(label)) ^ Math.imul(h, 0x01000193)) >>> 0;
    h = splitmix32(h)[0];
  }
  return h;
}

/**
 * Standard normal sampler (Box–Muller, both outputs used). u1 is drawn in (0, 1] so that
 * log(u1) is finite. Keeps one cached value, so it is itself stateful: keep one per stream.
 */
export class GaussianSampler {
  private spare: number | undefined;

  constructor(private readonly rng: Rng) {}

  next(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u1 = 1 - this.rng.nextFloat(); // (0, 1]
    const u2 = this.rng.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Fills `out` with N(mean, std²) draws and returns it. */
  fill(out: Float64Array, mean = 0, std = 1): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.next();
    return out;
  }
}

/** n i.i.d. N(0, std²) values from a fresh sampler on `rng`. */
export function gaussianVector(rng: Rng, n: number, std = 1): Float64Array {
  return new GaussianSampler(rng).fill(new Float64Array(n), 0, std);
}

/** A shuffled copy (Fisher–Yates); the input is not modified. */
export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}

/** A uniformly random permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

/** k indices drawn uniformly from 0..n-1 with replacement (LiSSA Hessian minibatches). */
export function sampleWithReplacement(n: number, k: number, rng: Rng): Uint32Array {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 0) {
    throw new UnlearningError(
      UnlearningErrorCodes.UNLEARNING_INVALID_INPUT,
      'sampleWithReplacement needs integers n >= 1, k >= 0',
      { n, k },
    );
  }
  const out = new Uint32Array(k);
  for (let i = 0; i < k; i++) out[i] = rng.nextInt(n);
  return out;
}
