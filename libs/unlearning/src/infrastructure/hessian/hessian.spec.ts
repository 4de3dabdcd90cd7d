import { tf } from '../tf/tf';
import {
  useBackend,
  backendUnderTest,
  relativeError,
  liveTensors,
} from '../../../test/tf-test-helpers';
import { gaussianBlobs } from '../data/synthetic';
import { DeviceData } from '../data/device-data';
import { mlp } from '../../application/model/architecture';
import { initialParameters } from '../model/init';
import { Objective } from '../model/objective';
import { trainProjectedAdam } from '../training/train';
import { applyHost, hessianOperator } from './operator';
import { denseMatrix, exactInverseHvp } from './exact';
import { symmetricEigenvalues } from './dense';
import { lissaInverseHvp, lissaPath } from './lissa';
import { conjugateGradient } from './conjugate-gradient';
import { lanczosExtremes, powerExtremes } from './spectrum';

jest.setTimeout(120_000);

/**
 * A small tanh MLP (p = 63) at a fixed point, its data on the device, the exact damped Hessian and
 * the exact solve (H + λI)⁻¹ g as the oracle for LiSSA, CG and Lanczos.
 */
describe(`inverse-HVP solvers and spectrum (${backendUnderTest()})`, () => {
  const arch = mlp([6, 7, 3], 'tanh');
  const ds = gaussianBlobs({ n: 120, dim: 6, classes: 3, seed: 'solvers', separation: 2 });
  const objective = new Objective(arch, 1e-3);
  let params: Float32Array;
  const lambda = 0.3;
  let data: DeviceData;
  let w: tf.Tensor1D;
  let g: Float32Array;
  let exact: Float64Array;
  let eig: Float64Array;

  beforeAll(async () => {
    await useBackend();
    // A briefly trained point: curvature of both signs but small negative eigenvalues.
    params = (
      await trainProjectedAdam({
        arch,
        data: ds,
        recipe: { C: 10, l2: 1e-3, learningRate: 0.02, epochs: 15, batchSize: 30, seed: 5 },
        initial: initialParameters(arch, 5),
      })
    ).params;
    data = DeviceData.from(ds);
    w = tf.tensor1d(params);
    const gt = objective.gradient(w, data);
    g = gt.dataSync().slice() as Float32Array;
    gt.dispose();
    const undamped = await denseMatrix(hessianOperator(objective, w, data, 0));
    eig = symmetricEigenvalues(undamped, params.length);
    exact = (await exactInverseHvp(hessianOperator(objective, w, data, lambda), g)).solution;
  });

  afterAll(() => {
    data.dispose();
    w.dispose();
  });

  it('the oracle is meaningful: λ + λ_min > 0 and the solve is far from g/λ', () => {
    expect((eig[0] as number) + lambda).toBeGreaterThan(0);
    expect(eig[0] as number).toBeLessThan(0); // a non-convex point
    expect(
      relativeError(
        Float64Array.from(g).map((v) => v / lambda),
        exact,
      ),
    ).toBeGreaterThan(0.1);
  });

  it('Lanczos (and power iteration) find λ_min and λ_max of the Hessian', async () => {
    const op = hessianOperator(objective, w, data, 0);
    const lz = await lanczosExtremes(op, { iterations: 40, seed: 1 });
    const lo = eig[0] as number;
    const hi = eig[eig.length - 1] as number;
    expect(Math.abs(lz.max - hi)).toBeLessThan(1e-4 * Math.max(1, Math.abs(hi)));
    expect(Math.abs(lz.min - lo)).toBeLessThan(1e-3 * Math.max(1, Math.abs(hi)));
    const pw = await powerExtremes(op, { iterations: 150, seed: 2 });
    expect(Math.abs(pw.max - hi) / Math.abs(hi)).toBeLessThan(1e-2);
  });

  it('conjugate gradient matches the exact solve', async () => {
    const r = await conjugateGradient(hessianOperator(objective, w, data, lambda), g, {
      tolerance: 1e-7,
    });
    expect(relativeError(r.solution, exact)).toBeLessThan(1e-4);
    expect(r.iterations).toBeLessThanOrEqual(params.length);
  });

  it('conjugate gradient reports the TRUE residual ‖b − A x‖, not the recursive one', async () => {
    // float32 HVPs: the recursive residual keeps shrinking far below what x really achieves.
    const op = hessianOperator(objective, w, data, lambda);
    const r = await conjugateGradient(op, g, { tolerance: 1e-14, maxIterations: 200 });
    const ax = applyHost(op, r.solution);
    let num = 0;
    let den = 0;
    for (let i = 0; i < g.length; i++) {
      num += ((g[i] as number) - (ax[i] as number)) ** 2;
      den += (g[i] as number) ** 2;
    }
    const truth = Math.sqrt(num / den);
    expect(Math.abs(r.relativeResidual - truth)).toBeLessThan(0.05 * truth);
    expect(r.recursiveResidual).toBeLessThan(0.1 * truth); // the drift the fix guards against
  });

  it('conjugate gradient refuses an indefinite damped Hessian', async () => {
    if ((eig[0] as number) >= 0) return; // needs negative curvature at this point
    await expect(
      conjugateGradient(hessianOperator(objective, w, data, 0), g, {
        tolerance: 1e-10,
        maxIterations: 200,
      }),
    ).rejects.toMatchObject({ code: 'CG_NEGATIVE_CURVATURE' });
  });

  it('LiSSA (H above λ_max, λ + λ_min > 0) converges to the exact solve', async () => {
    // Scale above λ_max + λ; contraction per step 1 − (λ + λ_min)/H.
    const H = 2 * ((eig[eig.length - 1] as number) + lambda);
    const mu = (eig[0] as number) + lambda;
    // Full-batch Hessian per step: the recursion is deterministic, error <= (1 − μ/H)^(s+1).
    const depth = 300;
    const full = await lissaInverseHvp({
      objective,
      params,
      vector: g,
      data,
      settings: {
        chains: 1,
        depth,
        scale: H,
        batchSize: 1,
        fullBatch: true,
        damping: lambda,
        seed: 3,
      },
    });
    expect((1 - mu / H) ** (depth + 1)).toBeLessThan(1e-6);
    expect(relativeError(full.solution, exact)).toBeLessThan(1e-3);
    expect(full.maxGrowth).toBeLessThanOrEqual(1);
    // Too shallow a recursion is visibly truncated (the test can fail).
    const shallow = await lissaInverseHvp({
      objective,
      params,
      vector: g,
      data,
      settings: {
        chains: 1,
        depth: 5,
        scale: H,
        batchSize: 1,
        fullBatch: true,
        damping: lambda,
        seed: 3,
      },
    });
    expect(relativeError(shallow.solution, exact)).toBeGreaterThan(0.1);
    // Sampled minibatches (the paper's method): noisier, averaged over chains.
    const sampled = await lissaInverseHvp({
      objective,
      params,
      vector: g,
      data,
      settings: { chains: 2, depth: 300, scale: 3 * H, batchSize: 10, damping: lambda, seed: 4 },
    });
    expect(sampled.hvpCount).toBe(600);
    expect(relativeError(sampled.solution, exact)).toBeLessThan(0.25);
  });

  it('fused LiSSA (all chains in one batched product per step) equals the per-chain reference loop', async () => {
    const H = 3 * ((eig[eig.length - 1] as number) + lambda);
    const settings = { chains: 3, depth: 150, scale: H, batchSize: 10, damping: lambda, seed: 8 };
    expect(lissaPath({ objective, settings })).toBe('fused');
    expect(lissaPath({ objective, settings, path: 'per-chain' })).toBe('per-chain');
    expect(lissaPath({ objective, settings: { ...settings, fullBatch: true } })).toBe('per-chain');
    const autodiff = new Objective(arch, 1e-3, 1000, { hvp: 'autodiff' });
    expect(lissaPath({ objective: autodiff, settings })).toBe('per-chain');
    const before = liveTensors();
    const fused = await lissaInverseHvp({ objective, params, vector: g, data, settings });
    const reference = await lissaInverseHvp({
      objective: autodiff,
      params,
      vector: g,
      data,
      settings,
    });
    expect(liveTensors()).toBe(before);
    // Same rows, same recursion: only float32 rounding differs.
    expect(relativeError(fused.solution, reference.solution)).toBeLessThan(1e-4);
    expect(fused.hvpCount).toBe(reference.hvpCount);
    expect(fused.chainNorms).toHaveLength(3);
    fused.chainNorms.forEach((x, c) =>
      expect(Math.abs(x - (reference.chainNorms[c] as number))).toBeLessThan(1e-4 * x),
    );
    expect(Math.abs(fused.maxGrowth - reference.maxGrowth)).toBeLessThan(1e-4);
    // Not vacuous: another seed draws other rows and gives another estimate.
    const other = await lissaInverseHvp({
      objective,
      params,
      vector: g,
      data,
      settings: { ...settings, seed: 9 },
    });
    expect(relativeError(other.solution, fused.solution)).toBeGreaterThan(1e-3);
    // And both estimate the exact solve.
    expect(relativeError(fused.solution, exact)).toBeLessThan(0.3);
  });

  it('LiSSA divergence (scale H below λ_max) is thrown as LISSA_DIVERGED, never returned', async () => {
    const H = ((eig[eig.length - 1] as number) + lambda) / 4;
    const before = liveTensors();
    await expect(
      lissaInverseHvp({
        objective,
        params,
        vector: g,
        data,
        settings: { chains: 1, depth: 300, scale: H, batchSize: 60, damping: lambda, seed: 5 },
      }),
    ).rejects.toMatchObject({ code: 'LISSA_DIVERGED', kind: 'unprocessable' });
    expect(liveTensors()).toBe(before);
    // The per-chain reference loop throws the same way, at the same check.
    const fusedError = await lissaInverseHvp({
      objective,
      params,
      vector: g,
      data,
      settings: { chains: 1, depth: 300, scale: H, batchSize: 60, damping: lambda, seed: 5 },
    }).catch((e: unknown) => e as { details: { step: number } });
    const loopError = await lissaInverseHvp({
      objective,
      params,
      vector: g,
      data,
      settings: { chains: 1, depth: 300, scale: H, batchSize: 60, damping: lambda, seed: 5 },
      path: 'per-chain',
    }).catch((e: unknown) => e as { details: { step: number } });
    expect(loopError).toMatchObject({ code: 'LISSA_DIVERGED' });
    expect((fusedError as { details: { step: number } }).details.step).toBe(
      (loopError as { details: { step: number } }).details.step,
    );
    expect(liveTensors()).toBe(before);
    // NaN input is divergence too.
    const bad = Float32Array.from(g);
    bad[0] = Number.NaN;
    await expect(
      lissaInverseHvp({
        objective,
        params,
        vector: bad,
        data,
        settings: { chains: 1, depth: 20, scale: 100, batchSize: 10, damping: lambda, seed: 6 },
      }),
    ).rejects.toMatchObject({ code: 'LISSA_DIVERGED' });
  });

  it.each(['fused', 'per-chain'] as const)(
    'no tensor leak over 1,000 LiSSA steps (%s)',
    async (path) => {
      const before = liveTensors();
      const progress: number[] = [];
      await lissaInverseHvp({
        objective,
        params,
        vector: g,
        data,
        settings: {
          chains: 1,
          depth: 1000,
          scale: 50,
          batchSize: 10,
          damping: lambda,
          seed: 7,
          checkEvery: 100,
        },
        onProgress: (p) => progress.push(p.done),
        path,
      });
      expect(liveTensors()).toBe(before);
      expect(progress).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    },
  );

  it('the exact solve refuses large parameter counts', async () => {
    await expect(
      exactInverseHvp(hessianOperator(objective, w, data, lambda), g, { maxParams: 10 }),
    ).rejects.toMatchObject({ code: 'EXACT_SOLVE_TOO_LARGE' });
  });
});
