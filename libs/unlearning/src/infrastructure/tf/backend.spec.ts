import { tf } from './tf';
import {
  initTensorflow,
  parseBackendMode,
  backendName,
  backendLabel,
  currentBackend,
  readNativeBuildStatus,
  type BindingLoader,
} from './backend';
import { softmaxCrossEntropy } from './cross-entropy';
import { nativeBuilt } from '../../../test/tf-test-helpers';

jest.setTimeout(60_000);

/** A loader that finds no binding: how `auto` behaves where the native build did not happen. */
const noBinding: BindingLoader = (name) => {
  throw new Error(`Cannot find module '${name}'`);
};

describe('backend selection', () => {
  it('parses LETHE_TF_BACKEND values and refuses others with a coded error', () => {
    expect(parseBackendMode(undefined)).toBe('auto');
    expect(parseBackendMode(' WASM ')).toBe('wasm');
    expect(() => parseBackendMode('gpu')).toThrow(
      expect.objectContaining({ code: 'TF_BACKEND_UNAVAILABLE' }),
    );
  });

  it('without a native binding, auto tries the GPU build, then the CPU build, then picks wasm and says why', async () => {
    const info = await initTensorflow('auto', noBinding);
    expect(info.name).toBe('wasm');
    expect(backendName()).toBe('wasm');
    expect(info.binding).toBeUndefined();
    expect(info.versions).toEqual({ tfjs: tf.version_core });
    expect(info.label).toBe(`wasm (tfjs ${tf.version_core})`);
    expect(backendLabel()).toBe(info.label);
    expect(info.fallbacks).toHaveLength(3);
    expect(info.fallbacks[0]).toMatch(/^@tensorflow\/tfjs-node-gpu: Cannot find module/);
    expect(info.fallbacks[1]).toMatch(/^@tensorflow\/tfjs-node: Cannot find module/);
    // The install step's own record comes last: what it built, or why it could not.
    expect(info.fallbacks[2]).toMatch(/^native build: /);
  });

  it("without a native binding, 'tensorflow' fails with a coded error that carries the reasons", async () => {
    await expect(initTensorflow('tensorflow', noBinding)).rejects.toMatchObject({
      code: 'TF_BACKEND_UNAVAILABLE',
      details: { fallbacks: expect.arrayContaining([expect.stringMatching(/^native build: /)]) },
    });
  });

  if (nativeBuilt()) {
    it('with the native build: auto and tensorflow pick TensorFlow and report its version', async () => {
      const status = readNativeBuildStatus()!;
      for (const mode of ['auto', 'tensorflow'] as const) {
        const info = await initTensorflow(mode);
        expect(info.name).toBe('tensorflow');
        expect(backendName()).toBe('tensorflow');
        expect(info.binding).toBe(status.package);
        expect(info.versions.tensorflow).toBe(status.tensorflow);
        expect(info.versions.tensorflow).toMatch(/^2\.\d+\.\d+/);
        expect(info.label).toBe(`tensorflow ${status.tensorflow} (${status.package})`);
        expect(currentBackend()).toBe(info);
      }
      // It computes: a matMul on the native kernels.
      const v = tf.tidy(() =>
        Array.from(tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()),
      );
      expect(v).toEqual([11]);
    });
  } else {
    it('with no native build: the real loader fails, auto picks wasm and relays the install step', async () => {
      const info = await initTensorflow('auto');
      expect(info.name).toBe('wasm');
      const status = readNativeBuildStatus();
      expect(info.fallbacks.at(-1)).toBe(
        status
          ? `native build: ${status.reason ?? 'failed'}`
          : 'native build: no record (the install step did not run; `npm run tf:install`)',
      );
      await expect(initTensorflow('tensorflow')).rejects.toMatchObject({
        code: 'TF_BACKEND_UNAVAILABLE',
      });
    });
  }

  it('cpu and wasm can be forced', async () => {
    expect((await initTensorflow('cpu')).name).toBe('cpu');
    expect(backendLabel()).toBe(`cpu (tfjs ${tf.version_core})`);
    expect((await initTensorflow('wasm')).name).toBe('wasm');
  });
});

/** The gradient fixes hold on every backend here, native TensorFlow's kernels included. */
const backends = ['cpu', 'wasm', ...(nativeBuilt() ? (['tensorflow'] as const) : [])] as const;

describe.each(backends)('gradient fixes on %s', (backend) => {
  beforeAll(async () => {
    expect((await initTensorflow(backend)).name).toBe(backend);
  });

  const second = (f: (x: tf.Tensor) => tf.Tensor, x: number[]): number[] =>
    tf.tidy(() => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(f(t)));
      const gg = tf.grad((t: tf.Tensor) => tf.sum(g(t)));
      return Array.from(gg(tf.tensor1d(x)).dataSync());
    });

  it('exp, sigmoid and tanh are twice differentiable', () => {
    const [e0, e1] = second(tf.exp, [0, 1]);
    expect(e0).toBeCloseTo(1, 5);
    expect(e1).toBeCloseTo(Math.E, 4);
    const s = 1 / (1 + Math.exp(-1));
    expect(second(tf.sigmoid, [1])[0]).toBeCloseTo(s * (1 - s) * (1 - 2 * s), 5); // −0.0909
    const t = Math.tanh(1);
    expect(second(tf.tanh, [1])[0]).toBeCloseTo(-2 * t * (1 - t * t), 5); // −0.6397
  });

  it('BatchMatMul gradients are right for every transpose flag combination', () => {
    const a = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const b = [
      [1, -1],
      [0, 2],
      [3, 1],
    ];
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      const { ga, gb, fa, fb } = tf.tidy(() => {
        const A = ta ? tf.transpose(tf.tensor2d(a)) : tf.tensor2d(a);
        const B = tb ? tf.transpose(tf.tensor2d(b)) : tf.tensor2d(b);
        const W = tf.tensor2d([
          [1, 2],
          [3, 4],
        ]);
        const f = (x: tf.Tensor, y: tf.Tensor) =>
          tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb), W));
        const [dA, dB] = tf.grads(f)([A, B]) as [tf.Tensor, tf.Tensor];
        // Analytic: ∂/∂a Σ((a·b) ⊙ W) = W·bᵀ, ∂/∂b = aᵀ·W (transposed back where flagged).
        const dA0 = tf.matMul(W, tf.transpose(tf.tensor2d(b)));
        const dB0 = tf.matMul(tf.transpose(tf.tensor2d(a)), W);
        return {
          ga: Array.from(dA.dataSync()),
          gb: Array.from(dB.dataSync()),
          fa: Array.from((ta ? tf.transpose(dA0) : dA0).dataSync()),
          fb: Array.from((tb ? tf.transpose(dB0) : dB0).dataSync()),
        };
      });
      expect(ga).toEqual(fa);
      expect(gb).toEqual(fb);
    }
  });

  it('the cross-entropy has the exact Hessian diag(p) − ppᵀ in the logits', () => {
    const z = [0.3, -1.2, 2.0];
    const y = [0, 0, 1];
    const h = tf.tidy(() => {
      const yy = tf.tensor2d([y]);
      const g = tf.grad((t: tf.Tensor) => softmaxCrossEntropy(t as tf.Tensor2D, yy));
      const rows: number[][] = [];
      for (let j = 0; j < 3; j++) {
        const e = tf
          .oneHot(tf.tensor1d([j], 'int32'), 3)
          .toFloat()
          .reshape([1, 3]);
        const hj = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(g(t), e)))(tf.tensor2d([z]));
        rows.push(Array.from(hj.dataSync()));
      }
      return rows;
    });
    const ez = z.map(Math.exp);
    const sum = ez.reduce((s, v) => s + v, 0);
    const p = ez.map((v) => v / sum);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const expected = (i === j ? (p[i] as number) : 0) - (p[i] as number) * (p[j] as number);
        expect((h[i] as number[])[j]).toBeCloseTo(expected, 5);
      }
    }
  });

  it('cross-entropy is stable for large logits (detached max shift)', () => {
    const v = tf.tidy(
      () =>
        softmaxCrossEntropy(
          tf.tensor2d([[1000, 0, -1000]]),
          tf.tensor2d([[0, 1, 0]]),
        ).dataSync()[0],
    );
    expect(v).toBeCloseTo(1000, 3);
  });
});
