import { isUnlearningError } from '../domain/errors';
import { createRng, gaussianVector } from '../domain/random';
import {
  mlpForward,
  mlpHessianVectorProduct,
  mlpInitParams,
  mlpLayout,
  mlpLoss,
  mlpLossAndGradient,
  mlpPredictProba,
  type LabelledBatch,
  type MlpSpec,
} from './float64-mlp';
import {
  denseFromOperator,
  dot,
  norm2,
  symmetricEigenvalues,
} from '../domain/reference/linear-algebra';

const tanhSpec: MlpSpec = {
  layerSizes: [4, 5, 3, 3],
  hiddenActivation: 'tanh',
  l2: 0.01,
  l2Scope: 'all',
};
const reluSpec: MlpSpec = {
  layerSizes: [4, 6, 3],
  hiddenActivation: 'relu',
  l2: 0.05,
  l2Scope: 'weights',
};

function makeBatch(spec: MlpSpec, m: number, seed: number): LabelledBatch {
  const rng = createRng(seed);
  const x = gaussianVector(rng, m * spec.layerSizes[0]!);
  const k = spec.layerSizes[spec.layerSizes.length - 1]!;
  const y = Array.from({ length: m }, () => rng.nextInt(k));
  return { x, y };
}

function fdGradient(f: (w: Float64Array) => number, w: Float64Array, h: number): Float64Array {
  const g = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const wp = new Float64Array(w);
    const wm = new Float64Array(w);
    wp[i]! += h;
    wm[i]! -= h;
    g[i] = (f(wp) - f(wm)) / (2 * h);
  }
  return g;
}

const maxAbsDiff = (a: Float64Array, b: Float64Array): number =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('float64 reference MLP', () => {
  it('documents the layout: per layer W [in×out] row-major then b; MNIST MLP has 26,506 params', () => {
    const layout = mlpLayout({
      layerSizes: [784, 32, 32, 10],
      hiddenActivation: 'relu',
      l2: 0,
      l2Scope: 'all',
    });
    expect(layout.paramCount).toBe(26_506);
    expect(layout.layers[0]).toEqual({ in: 784, out: 32, weightOffset: 0, biasOffset: 784 * 32 });
    expect(layout.layers[1]!.weightOffset).toBe(784 * 32 + 32);
  });

  it('forward uses W[i·out + j] for input i → output j, then b', () => {
    const spec: MlpSpec = { layerSizes: [2, 2], hiddenActivation: 'relu', l2: 0, l2Scope: 'all' };
    // W = [[1, 2], [3, 4]] (row i = input i), b = [10, 20]; x = [1, 1] → z = [1+3+10, 2+4+20]
    const logits = mlpForward(
      spec,
      new Float64Array([1, 2, 3, 4, 10, 20]),
      new Float64Array([1, 1]),
    );
    expect(Array.from(logits)).toEqual([14, 26]);
    const p = mlpPredictProba(
      spec,
      new Float64Array([1, 2, 3, 4, 10, 20]),
      new Float64Array([1, 1, 0, 0]),
    );
    expect(p[0]! + p[1]!).toBeCloseTo(1, 15);
    expect(p[2]!).toBeCloseTo(1 / (1 + Math.exp(10)), 15);
  });

  it('loss = mean cross-entropy + (λ/2)‖w‖² (hand-checked on a 1-layer net)', () => {
    const spec: MlpSpec = { layerSizes: [1, 2], hiddenActivation: 'tanh', l2: 0.5, l2Scope: 'all' };
    const w = new Float64Array([1, -1, 0, 0]); // z = [x, −x]
    const batch = { x: new Float64Array([1, 2]), y: [0, 1] };
    const ce0 = Math.log(1 + Math.exp(-2)); // z = [1, −1], label 0
    const ce1 = Math.log(1 + Math.exp(4)); // z = [2, −2], label 1
    expect(mlpLoss(spec, w, batch)).toBeCloseTo((ce0 + ce1) / 2 + 0.25 * 2, 14);
  });

  it.each([
    ['tanh', tanhSpec],
    ['relu', reluSpec],
  ] as const)('%s: gradient matches central finite differences', (_name, spec) => {
    const w = mlpInitParams(spec, createRng(1));
    const batch = makeBatch(spec, 7, 2);
    const { loss, gradient } = mlpLossAndGradient(spec, w, batch);
    expect(loss).toBeCloseTo(mlpLoss(spec, w, batch), 14);
    const fd = fdGradient((p) => mlpLoss(spec, p, batch), w, 1e-6);
    expect(maxAbsDiff(gradient, fd) / norm2(gradient)).toBeLessThan(1e-7);
  });

  it('l2Scope weights leaves biases unregularised; all regularises every parameter', () => {
    const base: MlpSpec = { ...reluSpec, l2: 0 };
    const w = mlpInitParams(base, createRng(3));
    const batch = makeBatch(base, 5, 4);
    const g0 = mlpLossAndGradient(base, w, batch).gradient;
    const gw = mlpLossAndGradient({ ...base, l2: 0.3, l2Scope: 'weights' }, w, batch).gradient;
    const ga = mlpLossAndGradient({ ...base, l2: 0.3, l2Scope: 'all' }, w, batch).gradient;
    const layout = mlpLayout(base);
    for (const l of layout.layers) {
      for (let k = l.weightOffset; k < l.biasOffset; k++)
        expect(gw[k]! - g0[k]!).toBeCloseTo(0.3 * w[k]!, 14);
      for (let k = l.biasOffset; k < l.biasOffset + l.out; k++) {
        expect(gw[k]).toBe(g0[k]);
        expect(ga[k]! - g0[k]!).toBeCloseTo(0.3 * w[k]!, 14);
      }
    }
  });

  it('tanh: exact HVP matches central differences of the gradient to 1e-6', () => {
    const spec = tanhSpec;
    const w = mlpInitParams(spec, createRng(5));
    const batch = makeBatch(spec, 9, 6);
    for (const seed of [10, 11, 12]) {
      const v = gaussianVector(createRng(seed), w.length);
      const hv = mlpHessianVectorProduct(spec, w, batch, v);
      const r = 1e-4 / norm2(v);
      const gp = mlpLossAndGradient(
        spec,
        w.map((x, i) => x + r * v[i]!),
        batch,
      ).gradient;
      const gm = mlpLossAndGradient(
        spec,
        w.map((x, i) => x - r * v[i]!),
        batch,
      ).gradient;
      const fd = gp.map((x, i) => (x - gm[i]!) / (2 * r));
      expect(maxAbsDiff(hv, fd) / norm2(hv)).toBeLessThan(1e-6);
    }
  });

  it('relu: HVP matches finite differences away from kinks', () => {
    const spec = reluSpec;
    const w = mlpInitParams(spec, createRng(7));
    const batch = makeBatch(spec, 6, 8);
    const v = gaussianVector(createRng(9), w.length);
    const hv = mlpHessianVectorProduct(spec, w, batch, v);
    const r = 1e-6 / norm2(v);
    const gp = mlpLossAndGradient(
      spec,
      w.map((x, i) => x + r * v[i]!),
      batch,
    ).gradient;
    const gm = mlpLossAndGradient(
      spec,
      w.map((x, i) => x - r * v[i]!),
      batch,
    ).gradient;
    const fd = gp.map((x, i) => (x - gm[i]!) / (2 * r));
    expect(maxAbsDiff(hv, fd) / norm2(hv)).toBeLessThan(1e-6);
  });

  it('HVP is symmetric (⟨u, Hv⟩ = ⟨v, Hu⟩), linear, and includes λ·v', () => {
    const spec = tanhSpec;
    const w = mlpInitParams(spec, createRng(13));
    const batch = makeBatch(spec, 8, 14);
    const u = gaussianVector(createRng(15), w.length);
    const v = gaussianVector(createRng(16), w.length);
    const hu = mlpHessianVectorProduct(spec, w, batch, u);
    const hv = mlpHessianVectorProduct(spec, w, batch, v);
    expect(Math.abs(dot(u, hv) - dot(v, hu))).toBeLessThan(1e-13 * norm2(hu) * norm2(v));
    const huv = mlpHessianVectorProduct(
      spec,
      w,
      batch,
      u.map((x, i) => 2 * x - 3 * v[i]!),
    );
    expect(
      maxAbsDiff(
        huv,
        hu.map((x, i) => 2 * x - 3 * hv[i]!),
      ),
    ).toBeLessThan(1e-12);
    const hNoReg = mlpHessianVectorProduct({ ...spec, l2: 0 }, w, batch, v);
    expect(
      maxAbsDiff(
        hv,
        hNoReg.map((x, i) => x + 0.01 * v[i]!),
      ),
    ).toBeLessThan(1e-14);
  });

  it('dense Hessian from HVPs is symmetric, and indefinite for a nonconvex tanh net', () => {
    const spec: MlpSpec = { ...tanhSpec, l2: 0 };
    const w = mlpInitParams(spec, createRng(17));
    const batch = makeBatch(spec, 10, 18);
    const p = w.length;
    const H = denseFromOperator(p, (e) => mlpHessianVectorProduct(spec, w, batch, e));
    let asym = 0;
    for (let i = 0; i < p; i++)
      for (let j = 0; j < i; j++) asym = Math.max(asym, Math.abs(H[i * p + j]! - H[j * p + i]!));
    expect(asym).toBeLessThan(1e-14);
    const ev = symmetricEigenvalues(H, p);
    expect(ev[0]!).toBeLessThan(-1e-6); // λ_min < 0: the reason for the λI damping
    expect(ev[p - 1]!).toBeGreaterThan(0);
  });

  it('rejects malformed inputs with MODEL_INVALID_INPUT', () => {
    const w = mlpInitParams(tanhSpec, createRng(1));
    const bad = [
      () => mlpLoss(tanhSpec, new Float64Array(3), makeBatch(tanhSpec, 2, 1)),
      () => mlpLoss(tanhSpec, w, { x: new Float64Array(7), y: [0, 1] }),
      () => mlpLoss(tanhSpec, w, { x: new Float64Array(8), y: [0, 3] }),
      () => mlpLayout({ ...tanhSpec, layerSizes: [4] }),
      () => mlpLayout({ ...tanhSpec, l2: -1 }),
    ];
    for (const fn of bad) {
      let caught: unknown;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      expect(isUnlearningError(caught, 'MODEL_INVALID_INPUT')).toBe(true);
    }
  });
});
