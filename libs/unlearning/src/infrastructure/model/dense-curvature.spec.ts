import { tf } from '../tf/tf';
import {
  useBackend,
  backendUnderTest,
  relativeError,
  liveTensors,
} from '../../../test/tf-test-helpers';
import { mlpHessianVectorProduct, type MlpSpec } from '../../testing/float64-mlp';
import { createRng } from '../../application/model/rng';
import { gaussianBlobs } from '../data/synthetic';
import { DeviceData } from '../data/device-data';
import {
  layerWidths,
  logisticRegression,
  mlp,
  type Architecture,
} from '../../application/model/architecture';
import { initialParameters } from './init';
import { Objective } from './objective';
import {
  DenseNet,
  analyticHvpSupported,
  curvatureProduct,
  joinBlocks,
  stackedBlocks,
  vectorBlocks,
} from './dense-curvature';

jest.setTimeout(60_000);

const L2 = 1e-3;

const cases: [string, Architecture][] = [
  ['tanh MLP 12-9-7-4', mlp([12, 9, 7, 4], 'tanh')],
  ['relu MLP 12-9-7-4', mlp([12, 9, 7, 4], 'relu')],
  ['logistic regression 12→4', logisticRegression(12, 4)],
];

const gaussian = (seed: string, n: number): Float32Array => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
};

/**
 * The analytic HVP (R-operator) against the float64 oracle and against the reference path (double
 * backprop), one direction and S stacked directions, shared rows and rows per direction.
 */
describe(`analytic HVP of the dense net (${backendUnderTest()})`, () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('covers the dense MLP (tanh, ReLU) and the logistic regression', () => {
    expect(analyticHvpSupported(mlp([3, 2], 'tanh'))).toBe(true);
    expect(analyticHvpSupported(mlp([3, 2], 'relu'))).toBe(true);
    expect(analyticHvpSupported(logisticRegression(3, 2))).toBe(true);
    expect(new Objective(mlp([3, 2], 'tanh'), 0).hvpPath).toBe('analytic');
    expect(new Objective(mlp([3, 2], 'tanh'), 0, 1000, { hvp: 'autodiff' }).hvpPath).toBe(
      'autodiff',
    );
    // An activation the R-operator does not know falls back to autodiff.
    const unknown = { kind: 'mlp', layers: [3, 2], activation: 'gelu' } as unknown as Architecture;
    expect(analyticHvpSupported(unknown)).toBe(false);
    expect(new Objective(unknown, 0).hvpPath).toBe('autodiff');
  });

  describe.each(cases)('%s', (_name, arch) => {
    const widths = layerWidths(arch);
    const dim = widths[0] as number;
    const classes = widths[widths.length - 1] as number;
    const ds = gaussianBlobs({ n: 40, dim, classes, seed: `rop-${_name}` });
    const params = initialParameters(arch, 11); // PyTorch init: non-zero biases, off ReLU kinks
    const p = params.length;
    const spec: MlpSpec = {
      layerSizes: widths,
      hiddenActivation: arch.kind === 'mlp' ? arch.activation : 'tanh',
      l2: L2,
      l2Scope: 'all',
    };
    const batch = { x: Float64Array.from(ds.features), y: ds.labels };

    it.each([
      ['explicit transposes', false],
      ['transpose flags', true],
    ])(
      'full-data HVP matches the float64 oracle and double backprop within 1e-5 (%s)',
      (_how, flags) => {
        const v = gaussian(`v-${_name}`, p);
        const oracle = mlpHessianVectorProduct(
          spec,
          Float64Array.from(params),
          batch,
          Float64Array.from(v),
        );
        const before = liveTensors();
        const fast = new Objective(arch, L2, 16); // chunks of 16 rows: the chunk weights matter
        const slow = new Objective(arch, L2, 16, { hvp: 'autodiff' });
        expect(fast.hvpPath).toBe('analytic');
        const data = DeviceData.from(ds);
        const w = tf.tensor1d(params);
        const vt = tf.tensor1d(v);
        const net = DenseNet.from(arch, w, flags);
        const direct = tf.tidy(() => {
          const b = data.slice(0, ds.labels.length);
          return joinBlocks(curvatureProduct(net, b.x, b.y, vectorBlocks(arch, vt)), false);
        });
        const a = fast.hvp(w, vt, data);
        const r = slow.hvp(w, vt, data);
        const fastErr = relativeError(a.dataSync(), oracle);
        const slowErr = relativeError(r.dataSync(), oracle);
        const vsAutodiff = relativeError(a.dataSync(), r.dataSync());
        // The direct product has no L2: add it on the host.
        const directErr = relativeError(
          Float64Array.from(direct.dataSync(), (x, i) => x + L2 * (v[i] as number)),
          oracle,
        );
        net.dispose();
        tf.dispose([w, vt, a, r, direct]);
        data.dispose();
        expect(liveTensors()).toBe(before);

        expect(fastErr).toBeLessThan(1e-5);
        expect(directErr).toBeLessThan(1e-5);
        expect(slowErr).toBeLessThan(1e-5);
        expect(vsAutodiff).toBeLessThan(1e-5);
        // Not vacuous: the product has curvature beyond the L2 term.
        expect(
          relativeError(
            Float64Array.from(v).map((x) => L2 * x),
            oracle,
          ),
        ).toBeGreaterThan(0.5);
      },
    );

    it('batchHvp on a minibatch matches double backprop on random vectors', () => {
      const fast = new Objective(arch, L2);
      const slow = new Objective(arch, L2, 1000, { hvp: 'autodiff' });
      const data = DeviceData.from(ds);
      const before = liveTensors();
      const errs: number[] = [];
      for (let k = 0; k < 3; k++) {
        const rows = Int32Array.from({ length: 10 }, (_, i) => (i * 7 + k * 3) % 40);
        errs.push(
          tf.tidy(() => {
            const b = data.gather(rows);
            const w = tf.tensor1d(params);
            const v = tf.tensor1d(gaussian(`mb-${k}`, p));
            return relativeError(
              fast.batchHvp(w, v, b, 0.3).dataSync(),
              slow.batchHvp(w, v, b, 0.3).dataSync(),
            );
          }),
        );
      }
      expect(liveTensors()).toBe(before);
      data.dispose();
      for (const e of errs) expect(e).toBeLessThan(1e-5);
    });

    it('S stacked directions in one product equal S single products (shared rows and rows per direction)', () => {
      const S = 4;
      const r = 10;
      const data = DeviceData.from(ds);
      const slow = new Objective(arch, L2, 1000, { hvp: 'autodiff' });
      const vs = Array.from({ length: S }, (_, s) => gaussian(`stack-${s}`, p));
      const rowsOf = (s: number): Int32Array =>
        Int32Array.from({ length: r }, (_, i) => (i * 5 + s * 11) % 40);
      const before = liveTensors();
      const w = tf.tensor1d(params);
      const net = DenseNet.from(arch, w);
      const { shared, own } = tf.tidy(() => {
        const vStack = tf.tensor2d(Float32Array.from(vs.flatMap((x) => Array.from(x))), [S, p]);
        const b0 = data.gather(rowsOf(0));
        const sharedOut = joinBlocks(
          curvatureProduct(net, b0.x, b0.y, stackedBlocks(arch, vStack), 2),
          true,
        );
        const idx = tf.tensor2d(
          Int32Array.from(Array.from({ length: S }, (_, s) => Array.from(rowsOf(s))).flat()),
          [S, r],
          'int32',
        );
        const ownOut = joinBlocks(
          curvatureProduct(
            net,
            tf.gather(data.x, idx),
            tf.gather(data.y, idx),
            stackedBlocks(arch, vStack),
            2,
          ),
          true,
        );
        return {
          shared: sharedOut.arraySync() as number[][],
          own: ownOut.arraySync() as number[][],
        };
      });
      const reference = (rows: Int32Array, v: Float32Array): Float32Array =>
        tf.tidy(() => {
          const b = data.gather(rows);
          return tf
            .mul(slow.dataHvp(w, tf.tensor1d(v), b), 2)
            .dataSync()
            .slice() as Float32Array;
        });
      for (let s = 0; s < S; s++) {
        const v = vs[s] as Float32Array;
        expect(relativeError(shared[s] as number[], reference(rowsOf(0), v))).toBeLessThan(1e-5);
        expect(relativeError(own[s] as number[], reference(rowsOf(s), v))).toBeLessThan(1e-5);
      }
      net.dispose();
      w.dispose();
      expect(liveTensors()).toBe(before);
      data.dispose();
    });
  });
});
