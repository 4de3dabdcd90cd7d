import { isUnlearningError } from './errors';
import {
  GaussianSampler,
  createRng,
  deriveSeed,
  gaussianVector,
  permutation,
  rngFromState,
  sampleWithReplacement,
  shuffle,
} from './random';

describe('random (xoshiro128** + Box–Muller)', () => {
  it('matches the reference xoshiro128** 1.1 stream for state [1, 2, 3, 4]', () => {
    // Reference values from an independent Python transcription of Blackman & Vigna's C code.
    const rng = rngFromState([1, 2, 3, 4]);
    const got = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('is deterministic per seed, differs across seeds, and resumes from a snapshot', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 20 }, () => a.nextUint32());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.nextUint32())).not.toEqual(sa);
    const snap = a.state();
    const next = Array.from({ length: 5 }, () => a.nextFloat());
    const resumed = rngFromState(snap);
    expect(Array.from({ length: 5 }, () => resumed.nextFloat())).toEqual(next);
    expect(createRng('job-7').nextUint32()).toBe(createRng('job-7').nextUint32());
  });

  it('derives distinct, reproducible sub-stream seeds', () => {
    expect(deriveSeed(1, 'noise')).toBe(deriveSeed(1, 'noise'));
    expect(deriveSeed(1, 'noise')).not.toBe(deriveSeed(1, 'lissa'));
    expect(deriveSeed(1, 'lissa', 0)).not.toBe(deriveSeed(1, 'lissa', 1));
    expect(deriveSeed(1, 'noise')).not.toBe(deriveSeed(2, 'noise'));
  });

  it('draws uniform floats in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = createRng(7);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      s += u;
      s2 += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    const mean = s / n;
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(2e-3);
  });

  it('nextInt is unbiased over a small range (chi-square, 9 dof)', () => {
    const rng = createRng(99);
    const k = 10;
    const n = 100_000;
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) counts[rng.nextInt(k)]! += 1;
    const e = n / k;
    const chi2 = counts.reduce((acc, c) => acc + ((c - e) * (c - e)) / e, 0);
    expect(chi2).toBeLessThan(27.88); // p = 0.001 critical value for 9 dof
    expect(() => rng.nextInt(0)).toThrow();
  });

  it('Gaussian samples have mean 0, variance 1, and the right tail mass', () => {
    const z = gaussianVector(createRng(2024), 200_000);
    let s = 0;
    let s2 = 0;
    let tail = 0;
    for (const v of z) {
      s += v;
      s2 += v * v;
      if (Math.abs(v) > 1.959963984540054) tail++;
    }
    const n = z.length;
    expect(Math.abs(s / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.015);
    expect(Math.abs(tail / n - 0.05)).toBeLessThan(0.003);
  });

  it('fills with a given mean and std', () => {
    const out = new GaussianSampler(createRng(5)).fill(new Float64Array(50_000), 3, 0.5);
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    const sd = Math.sqrt(out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length);
    expect(mean).toBeCloseTo(3, 1);
    expect(sd).toBeCloseTo(0.5, 2);
  });

  it('shuffle and permutation return permutations and leave the input alone', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const copy = items.slice();
    const sh = shuffle(items, createRng(1));
    expect(items).toEqual(copy);
    expect(sh.slice().sort((a, b) => a - b)).toEqual(items);
    expect(sh).not.toEqual(items);
    const p = permutation(1000, createRng(3));
    expect(new Set(p).size).toBe(1000);
    expect(Math.max(...p)).toBe(999);
    expect(Array.from(permutation(50, createRng(3)))).toEqual(
      Array.from(permutation(50, createRng(3))),
    );
  });

  it('sampleWithReplacement stays in range and repeats values', () => {
    const idx = sampleWithReplacement(10, 1000, createRng(11));
    expect(idx.length).toBe(1000);
    expect(Math.max(...idx)).toBeLessThan(10);
    expect(new Set(idx).size).toBe(10);
  });

  it('rejects bad seeds with a coded error', () => {
    expect.assertions(2);
    try {
      createRng(-1);
    } catch (e) {
      expect(isUnlearningError(e, 'UNLEARNING_INVALID_INPUT')).toBe(true);
    }
    expect(() => rngFromState([0, 0, 0, 0])).toThrow();
  });
});
