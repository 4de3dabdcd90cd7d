import {
  createRng as createDomainRng,
  deriveSeed,
  GaussianSampler,
  type Seed,
} from '../../domain/random';

/**
 * Seeded randomness for the tfjs side, built on the domain's xoshiro128** generator
 * (domain/random.ts) so that both halves share one reproducibility contract. Used for
 * initialisation, splits and minibatch sampling, all recorded by seed. NOT for the release noise
 * (application/model/noise.ts `addReleaseNoise` draws it from a CSPRNG).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[];
  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array;
  /** An independent stream derived from this stream's seed and a label (this one does not advance). */
  derive(label: string): Rng;
  readonly seed: Seed;
}

export const createRng = (seed: Seed): Rng => {
  const base = createDomainRng(seed);
  const gauss = new GaussianSampler(base);
  const int = (n: number): number => base.nextInt(n);
  return {
    seed,
    uniform: () => base.nextFloat(),
    int,
    normal: () => gauss.next(),
    shuffle: <T>(items: T[]): T[] => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = items[i] as T;
        items[i] = items[j] as T;
        items[j] = tmp;
      }
      return items;
    },
    permutation: (n) => {
      const p = new Int32Array(n);
      for (let i = 0; i < n; i++) p[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = p[i] as number;
        p[i] = p[j] as number;
        p[j] = tmp;
      }
      return p;
    },
    derive: (label) => createRng(deriveSeed(seed, label)),
  };
};

/** A Float32Array of N(0, sigma²) draws. */
export const gaussianVector = (rng: Rng, length: number, sigma = 1): Float32Array => {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = sigma * rng.normal();
  return out;
};
