import { tf, type Tensor1D } from '../tf/tf';
import { useBackend, backendUnderTest } from '../../../test/tf-test-helpers';
import type { SymmetricOperator } from './operator';
import { lanczosExtremes, powerExtremes } from './spectrum';

jest.setTimeout(60_000);

/** A diagonal operator with the given eigenvalues. */
const diagonal = (d: number[]): SymmetricOperator => ({
  size: d.length,
  apply: (v: Tensor1D) => tf.tidy<Tensor1D>(() => tf.mul(v, tf.tensor1d(d))),
});

describe(`spectrum estimates on indefinite operators (${backendUnderTest()})`, () => {
  beforeAll(async () => {
    await useBackend();
  });

  // |λ_min| > λ_max: plain power iteration would return −5 as "λ_max".
  const eig = [-5, -1, 0.5, 1, 2, 3];

  it('power iteration returns λ_max and λ_min, not the largest-magnitude eigenvalue', async () => {
    const r = await powerExtremes(diagonal(eig), { iterations: 300, seed: 3 });
    expect(r.max).toBeCloseTo(3, 2);
    expect(r.min).toBeCloseTo(-5, 2);
    expect(r.max).toBeGreaterThan(r.min);
  });

  it('power iteration on a negative definite operator', async () => {
    const r = await powerExtremes(diagonal([-4, -3, -0.5]), { iterations: 300, seed: 4 });
    expect(r.max).toBeCloseTo(-0.5, 2);
    expect(r.min).toBeCloseTo(-4, 2);
  });

  it('Lanczos agrees on the same operator', async () => {
    const r = await lanczosExtremes(diagonal(eig), { iterations: 6, seed: 5 });
    expect(r.max).toBeCloseTo(3, 6);
    expect(r.min).toBeCloseTo(-5, 6);
  });
});
