import { addReleaseNoise, standardNormals, type RandomWords } from './noise';

describe('release noise (CSPRNG, float64 Box–Muller)', () => {
  it('two releases of the same parameters differ (no seed, nothing to replay)', () => {
    const w = new Float32Array(1000).fill(0.5);
    const a = addReleaseNoise(w, 0.1);
    const b = addReleaseNoise(w, 0.1);
    expect(Array.from(a)).not.toEqual(Array.from(b));
    expect(Array.from(w)).toEqual(Array.from(new Float32Array(1000).fill(0.5))); // input untouched
  });

  it('draws N(0, 1): mean, variance and tails match over 200,000 draws', () => {
    const z = standardNormals(200_001);
    expect(z).toHaveLength(200_001);
    let m = 0;
    let v = 0;
    let tail = 0;
    for (const x of z) {
      m += x;
      v += x * x;
      if (Math.abs(x) > 1.959964) tail++;
    }
    m /= z.length;
    v = v / z.length - m * m;
    expect(Math.abs(m)).toBeLessThan(0.01); // sd of the mean ≈ 0.0022
    expect(Math.abs(v - 1)).toBeLessThan(0.02);
    expect(tail / z.length).toBeGreaterThan(0.047);
    expect(tail / z.length).toBeLessThan(0.053);
  });

  it('uses 53-bit uniforms: u1 never 0 (finite draws), the low words matter', () => {
    const zeros: RandomWords = (out) => out.fill(0);
    expect(Array.from(standardNormals(4, zeros)).every(Number.isFinite)).toBe(true);
    // Only the low 26 bits of the second word differ: a 32-bit uniform would not see them.
    const hi: RandomWords = (out) => {
      for (let i = 0; i < out.length; i++) out[i] = i % 2 === 0 ? 0x80000000 : 0;
    };
    const lo: RandomWords = (out) => {
      for (let i = 0; i < out.length; i++) out[i] = i % 2 === 0 ? 0x80000000 : 0x40;
    };
    expect(standardNormals(2, hi)[0]).not.toBe(standardNormals(2, lo)[0]);
  });
});
