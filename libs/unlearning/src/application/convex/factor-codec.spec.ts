import { gaussianBlobs } from '../../infrastructure/data/synthetic';
import { makeDataset } from '../model/dataset';
import { CodedError } from '@lethe/shared';
import { downdateSoftmaxHessianFactor } from '../../domain/convex/hessian-factor';
import { keepConvexFactor } from './convex-newton';
import { decodeKeptFactor, encodeKeptFactor } from './factor-codec';
import { rowsOf } from './solve-to-tolerance';

/** The kept factor's private file format (factor-codec.ts): exact round trip, damage detected. */
describe('kept factor codec', () => {
  const data = gaussianBlobs({ n: 60, dim: 3, classes: 3, seed: 'codec', noise: 1 });
  const params = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) / 4);
  const factor = keepConvexFactor(params, data, 0.1);
  const digest = `sha256:${'a'.repeat(64)}`;

  it('round-trips every field bit for bit, with and without the kept gradient', () => {
    const removed = makeDataset({
      name: 'u',
      features: data.features.slice(0, 3),
      labels: data.labels.slice(0, 1),
      ids: [data.ids[0] as string],
      dim: 3,
      classes: 3,
    });
    for (const f of [factor, downdateSoftmaxHessianFactor(factor, rowsOf(removed))]) {
      const back = decodeKeptFactor(encodeKeptFactor(f, digest));
      expect(back.chainDigest).toBe(digest);
      expect(back.factor.p).toBe(f.p);
      expect(back.factor).toMatchObject({ rows: f.rows, ridge: f.ridge, downdates: f.downdates });
      // The upper triangle is stored; below the diagonal U is zero.
      expect(Array.from(back.factor.upper)).toEqual(Array.from(f.upper));
      expect(Array.from(back.factor.centre)).toEqual(Array.from(f.centre));
      expect(back.factor.lastGradient === undefined).toBe(f.lastGradient === undefined);
      if (f.lastGradient) {
        expect(Array.from(back.factor.lastGradient!.gradient)).toEqual(
          Array.from(f.lastGradient.gradient),
        );
        expect(Array.from(back.factor.lastGradient!.at)).toEqual(Array.from(f.lastGradient.at));
      }
    }
  });

  it('refuses damaged bytes with a coded error (the worker then rebuilds the factor)', () => {
    const bytes = encodeKeptFactor(factor, digest);
    for (const bad of [
      new Uint8Array(0),
      bytes.subarray(0, bytes.length - 1),
      Uint8Array.from(bytes, (b, i) => (i === 40 ? b ^ 1 : b)),
    ]) {
      let err: unknown;
      try {
        decodeKeptFactor(bad);
      } catch (e) {
        err = e;
      }
      expect(err instanceof CodedError && err.code).toBe('INVALID_WEIGHTS_FILE');
    }
  });
});
