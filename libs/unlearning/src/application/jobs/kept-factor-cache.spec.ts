import type { SoftmaxHessianFactor } from '../../domain/convex/hessian-factor';
import { KeptFactorCache } from './kept-factor-cache';

/** A factor-shaped value (the cache never looks inside it). */
const aFactor = (rows: number): SoftmaxHessianFactor => ({
  upper: new Float64Array(4),
  p: 2,
  dim: 0,
  classes: 2,
  centre: new Float32Array(2),
  rows,
  ridge: rows * 0.01,
  downdates: 0,
});

describe('KeptFactorCache (the last kept convex factor of each model, in worker memory)', () => {
  it('serves only the same version and the same chain digest', () => {
    const c = new KeptFactorCache();
    const f = aFactor(10);
    c.set('m', 3, 'sha256:a', f);
    expect(c.get('m', 3, 'sha256:a')).toBe(f);
    expect(c.get('m', 2, 'sha256:a')).toBeUndefined();
    expect(c.get('m', 3, 'sha256:b')).toBeUndefined();
    expect(c.get('other', 3, 'sha256:a')).toBeUndefined();
  });

  it("keeps one entry per model: the next version's factor replaces the last", () => {
    const c = new KeptFactorCache();
    c.set('m', 1, 'sha256:a', aFactor(10));
    const next = aFactor(9);
    c.set('m', 2, 'sha256:b', next);
    expect(c.size).toBe(1);
    expect(c.get('m', 1, 'sha256:a')).toBeUndefined();
    expect(c.get('m', 2, 'sha256:b')).toBe(next);
  });

  it('holds at most maxModels models, the least recently used dropped first', () => {
    const c = new KeptFactorCache(2);
    c.set('a', 1, 'd', aFactor(1));
    c.set('b', 1, 'd', aFactor(1));
    expect(c.get('a', 1, 'd')).toBeDefined(); // a is now the most recent
    c.set('c', 1, 'd', aFactor(1));
    expect(c.size).toBe(2);
    expect(c.get('b', 1, 'd')).toBeUndefined();
    expect(c.get('a', 1, 'd')).toBeDefined();
    expect(c.get('c', 1, 'd')).toBeDefined();
    c.delete('a');
    expect(c.size).toBe(1);
  });

  it('holds at most maxBytes of factors and never keeps one larger than the budget', () => {
    const one = aFactor(1);
    const bytes = one.upper.byteLength + one.centre.byteLength;
    const c = new KeptFactorCache(8, 2 * bytes + 1);
    c.set('a', 1, 'd', one);
    c.set('b', 1, 'd', aFactor(1));
    c.set('c', 1, 'd', aFactor(1)); // over the budget: the least recently used (a) goes
    expect(c.size).toBe(2);
    expect(c.get('a', 1, 'd')).toBeUndefined();
    const tight = new KeptFactorCache(8, bytes - 1);
    tight.set('big', 1, 'd', aFactor(1));
    expect(tight.size).toBe(0);
    expect(tight.get('big', 1, 'd')).toBeUndefined();
  });
});
