import { tf } from '../tf/tf';
import { useBackend, nativeBuilt, relativeError, liveTensors } from '../../../test/tf-test-helpers';
import {
  mlpHessianVectorProduct,
  mlpLossAndGradient,
  type MlpSpec,
} from '../../testing/float64-mlp';
import { createRng } from '../../application/model/rng';
import { gaussianBlobs } from '../data/synthetic';
import { DeviceData } from '../data/device-data';
import { mlp, type Activation } from '../../application/model/architecture';
import { initialParameters } from './init';
import { Objective, type HvpPath } from './objective';

jest.setTimeout(60_000);

const L2 = 1e-3;

describe.each(['cpu', 'wasm', ...(nativeBuilt() ? (['tensorflow'] as const) : [])] as const)(
  'Objective on %s: exact HVP (R-operator and double backprop)',
  (backend) => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    it.each([
      ['relu', 'analytic'],
      ['tanh', 'analytic'],
      ['relu', 'autodiff'],
      ['tanh', 'autodiff'],
    ] as [Activation, HvpPath][])(
      '%s MLP, %s HVP: gradient and HVP match the float64 reference within 1e-5',
      (activation, path) => {
        const arch = mlp([12, 9, 7, 4], activation);
        const ds = gaussianBlobs({ n: 40, dim: 12, classes: 4, seed: `hvp-${activation}` });
        const params = initialParameters(arch, 11); // PyTorch init: non-zero biases, off ReLU kinks
        const rng = createRng(`v-${activation}`);
        const v = Float32Array.from({ length: params.length }, () => rng.normal());
        const spec: MlpSpec = {
          layerSizes: arch.layers,
          hiddenActivation: activation,
          l2: L2,
          l2Scope: 'all',
        };
        const batch = { x: Float64Array.from(ds.features), y: ds.labels };
        const refGrad = mlpLossAndGradient(spec, Float64Array.from(params), batch).gradient;
        const refHvp = mlpHessianVectorProduct(
          spec,
          Float64Array.from(params),
          batch,
          Float64Array.from(v),
        );

        const before = liveTensors();
        // chunks of 16 rows: exercises the chunked mean
        const objective = new Objective(arch, L2, 16, { hvp: path });
        expect(objective.hvpPath).toBe(path);
        const data = DeviceData.from(ds);
        const w = tf.tensor1d(params);
        const vt = tf.tensor1d(v);
        const g = objective.gradient(w, data);
        const hv = objective.hvp(w, vt, data);
        const gradErr = relativeError(g.dataSync(), refGrad);
        const hvpErr = relativeError(hv.dataSync(), refHvp);
        tf.dispose([w, vt, g, hv]);
        data.dispose();
        expect(liveTensors()).toBe(before);

        expect(gradErr).toBeLessThan(1e-5);
        expect(hvpErr).toBeLessThan(1e-5);
        // Not vacuous: the HVP has curvature beyond the L2 term.
        expect(
          relativeError(
            Float64Array.from(v).map((x) => L2 * x),
            refHvp,
          ),
        ).toBeGreaterThan(0.5);
      },
    );

    it.each(['analytic', 'autodiff'] as HvpPath[])(
      'batchHvp adds l2 and damping exactly (%s)',
      (path) => {
        const arch = mlp([5, 4, 3], 'tanh');
        const ds = gaussianBlobs({ n: 10, dim: 5, classes: 3, seed: 'damp' });
        const objective = new Objective(arch, L2, 1000, { hvp: path });
        const data = DeviceData.from(ds);
        const params = initialParameters(arch, 2);
        const out = tf.tidy(() => {
          const w = tf.tensor1d(params);
          const v = tf.ones<tf.Rank.R1>([params.length]);
          const b = data.slice(0, 10);
          const plain = objective.dataHvp(w, v, b);
          const damped = objective.batchHvp(w, v, b, 0.5);
          return tf.sub(damped, plain).dataSync();
        });
        data.dispose();
        for (const x of out) expect(x).toBeCloseTo(L2 + 0.5, 5);
      },
    );
  },
);
