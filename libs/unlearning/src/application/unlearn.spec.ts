import {
  engine,
  useBackend,
  backendUnderTest,
  relativeError,
  liveTensors,
} from '../../test/tf-test-helpers';
import { fitConvexOptimum, softmaxRegressionM } from '../../test/convex-fixtures';
import { logisticData } from '../infrastructure/data/synthetic';
import { forgetRetainSplit } from '../infrastructure/data/split';
import { logisticRegression, mlp } from './model/architecture';
import { makeDataset, rowsOfIds, type Dataset } from './model/dataset';
import { distance, norm2, equalVectors, scale } from './model/flat-vector';
import { modelDigest } from './model/weights-codec';
import { initialParameters } from '../infrastructure/model/init';
import * as gate from '../domain/model/guarantee';
import { certifiedBound } from '../domain/bound/certified-bound';
import { lanczosMargin } from '../domain/bound/spectrum-margin';
import { calibrateSigma } from '../domain/privacy/gaussian-mechanism';
import { isUnlearningError } from '../domain/errors';
import { unlearn, type CertifiedUnlearnRequest, type UnlearnOutcome } from './unlearn';
import { trainModel } from './trained-model';

jest.setTimeout(120_000);

/** JSON of a public value, typed arrays as arrays. */
const json = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x instanceof Float32Array ? Array.from(x) : x));

/** The public release without its noisy weights (the only part allowed to differ). */
const publicWithoutWeights = (o: UnlearnOutcome): string => {
  const { released: _r, ...rest } = o.public;
  return json(rest);
};

const errorOf = async (
  p: Promise<unknown>,
): Promise<{ code?: string; message: string; details?: unknown }> => {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string; details?: unknown };
  }
  throw new Error('expected a rejection');
};

/**
 * L2-regularised logistic regression (convex; λ_min ≥ l2 exactly, M derived): the certified
 * release is calibrated from settings only, and the measured values are private checks.
 */
describe(`unlearn(engine, ) on L2-regularised logistic regression (${backendUnderTest()})`, () => {
  const l2 = 0.05;
  const C = 10;
  const data = logisticData({ n: 400, dim: 5, seed: 'convex', maxNorm: 1.5, signal: 5 });
  const { forget, retain } = forgetRetainSplit(data, { forgetCount: 40, seed: 9 });
  const arch = logisticRegression(5, 2);
  const M = softmaxRegressionM(data);
  const recipe = { C, l2, learningRate: 0.05, epochs: 30, batchSize: 50, seed: 1 };
  // Assumptions: λ_min ≥ 0.04 (true: ≥ l2 = 0.05), G = 2 (bounds the gradient proxies here),
  // τ = 1e-3 (the solver's certified error).
  const certification = {
    epsilon: 1,
    delta: 1e-5,
    M,
    lambdaMin: 0.04,
    G: 2,
    solverTolerance: 1e-3,
  };
  let wStar: Float32Array;
  let wRetrained: Float32Array;
  let request: (over?: Partial<CertifiedUnlearnRequest>) => CertifiedUnlearnRequest;

  beforeAll(async () => {
    await useBackend();
    const full = await fitConvexOptimum(data, l2);
    const retrained = await fitConvexOptimum(retain, l2);
    wStar = full.params;
    wRetrained = retrained.params;
    expect(norm2(wStar)).toBeLessThan(C); // both optima inside the ball: the theorem's setting
    expect(norm2(wRetrained)).toBeLessThan(C);
    request = (over = {}) => ({
      start: { arch, params: wStar, recipe },
      data,
      forgetIds: forget.ids,
      mode: 'certified',
      newton: { form: 'nonconvergence', damping: 0, inverse: { kind: 'exact' } },
      certification,
      seed: 'convex-request',
      ...over,
    });
  });

  afterEach(() => jest.restoreAllMocks());

  it('exact Newton step: ||w~ − w~*|| <= Δ and <= the quadratic bound; the gate runs on the result', async () => {
    const spy = jest.spyOn(gate, 'assertHonestGuarantee');
    const out = await unlearn(engine, request());
    const err = distance(out.private.chainParams, wRetrained);
    const e = distance(wStar, wRetrained);
    const ritzMin = out.private.checks!.ritz.min;
    expect(ritzMin).toBeGreaterThanOrEqual(l2 * 0.999); // strongly convex: λ_min >= l2
    expect(err).toBeLessThan(((M / 2) * e * e) / ritzMin);
    expect(err).toBeLessThan(0.05 * e); // the step really moved towards w~*
    expect(err).toBeLessThan(out.public.guarantee.bound as number);
    expect(out.public.guarantee.type).toBe('certified');
    expect(out.public.method).toBe('newton-exact');
    // The honesty gate is in the production path, with the private checks.
    expect(spy).toHaveBeenCalledWith(out.public.guarantee, out.private.checks);
    expect(() =>
      gate.assertHonestGuarantee(out.public.guarantee, out.private.checks),
    ).not.toThrow();
  });

  it('Δ and σ are functions of settings and stated assumptions only (δ includes the spectrum ρ)', async () => {
    const out = await unlearn(engine, request());
    const g = out.public.guarantee;
    const b = certifiedBound({
      C,
      lambda: 0,
      M,
      lambdaMin: 0.04,
      G: 2,
      n: 400,
      nU: 40,
      form: 'nonconvergence',
      solverTolerance: 1e-3,
      diameter: (2 + gate.START_NORM_SLACK) * C,
    });
    expect(g.bound).toBe(b.bound);
    const rho = 1e-5 / 10; // default δ/10
    expect(g.sigma).toBe(
      calibrateSigma({ epsilon: 1, delta: 1e-5 - rho, sensitivity: b.bound }).sigma,
    );
    expect(g.delta).toBe(1e-5);
    expect(g.assumptions).toMatchObject({
      spectrumFailureProbability: rho,
      mechanismDelta: 1e-5 - rho,
      lanczosIterations: 12, // min(30, p = 12)
      spectrumMarginFactor: lanczosMargin({
        iterations: 12,
        dimension: 12,
        failureProbability: rho,
      }).factor,
      activation: 'linear',
    });
    expect(g.measured).toEqual([]);
    expect(g.assumed).toEqual(['M', 'lambdaMin', 'G']);
    expect(g.checks).toEqual(['spectrum', 'start-in-ball', 'gradient-proxy', 'residual']);
    // Another start point (same settings): the same Δ and σ.
    const other = await unlearn(engine, request({ start: { arch, params: wRetrained, recipe } }));
    expect(other.public.guarantee.bound).toBe(g.bound);
    expect(other.public.guarantee.sigma).toBe(g.sigma);
  });

  it('two runs that differ only in one deleted record publish the same values except the noisy weights', async () => {
    // D and D′ differ in the content of one record that both requests delete (same id).
    const target = forget.ids[0] as string;
    const row = rowsOfIds(data, [target])[0] as number;
    const features = Float32Array.from(data.features);
    for (let j = 0; j < data.dim; j++)
      features[row * data.dim + j] = -(features[row * data.dim + j] as number);
    const labels = Int32Array.from(data.labels);
    labels[row] = 1 - (labels[row] as number);
    const dataPrime: Dataset = makeDataset({ ...data, features, labels });
    const trainedOn = (d: Dataset) =>
      trainModel(engine, { arch, data: d, recipe: { ...recipe, epochs: 10 } });
    const [m, mPrime] = [await trainedOn(data), await trainedOn(dataPrime)];
    expect(m.digest).not.toBe(mPrime.digest); // the private start points differ
    const run = (d: Dataset, params: Float32Array) =>
      unlearn(
        engine,
        request({
          start: { arch, params, recipe },
          data: d,
          newton: {
            form: 'nonconvergence',
            damping: 0.05,
            inverse: { kind: 'cg', tolerance: 1e-7 },
          },
          certification: { ...certification, lambdaMin: 0, G: 5, solverTolerance: 1e-2 },
        }),
      );
    const [a, b] = [await run(data, m.params), await run(dataPrime, mPrime.params)];
    expect(publicWithoutWeights(a)).toBe(publicWithoutWeights(b));
    expect(a.public.released.digest).not.toBe(b.public.released.digest);
    // The private parts differ (they are what the adversary must not see).
    expect(a.private.chainDigest).not.toBe(b.private.chainDigest);
    expect(a.private.checks!.startNorm).not.toBe(b.private.checks!.startNorm);
    // Nothing public names the start point or any measured value.
    const pub = json(a.public);
    expect(pub).not.toContain(m.digest);
    expect(pub).not.toContain(a.private.chainDigest);
    for (const v of [
      a.private.checks!.startNorm,
      a.private.checks!.ritz.min,
      a.private.checks!.ritz.max,
      a.private.checks!.gradientProxy,
      a.private.checks!.residualNorm,
      a.private.stepNorm,
      a.private.noiseNorm,
      a.private.updateGradientNorm,
    ])
      expect(pub).not.toContain(String(v));
  });

  it('a failed private check refuses the release and names the check, never its value', async () => {
    const cases: [Partial<CertifiedUnlearnRequest['certification']>, string][] = [
      [{ lambdaMin: 0.2 }, 'spectrum'], // λ_min ≈ 0.05 < the assumed floor
      [{ G: 1e-4 }, 'gradient-proxy'],
      [{ solverTolerance: 1e-12 }, 'residual'],
    ];
    for (const [over, check] of cases) {
      const e = await errorOf(
        unlearn(engine, request({ certification: { ...certification, ...over } })),
      );
      expect(e.code).toBe('CERTIFICATION_CHECK_FAILED');
      expect(e.details).toEqual({ failed: [check] });
      expect(e.message).not.toMatch(/\d\.\d/);
    }
    const outside = scale(wStar, (1.5 * C) / norm2(wStar));
    const e = await errorOf(unlearn(engine, request({ start: { arch, params: outside, recipe } })));
    expect(e.code).toBe('CERTIFICATION_CHECK_FAILED');
    expect((e.details as { failed: string[] }).failed).toContain('start-in-ball');
  });

  it('LiSSA: the residual certificate bounds its true error deterministically (no ρ term)', async () => {
    const before = liveTensors();
    const exact = await unlearn(engine, request());
    const lissaReq = (depth: number, tau: number) =>
      request({
        newton: {
          form: 'nonconvergence',
          damping: 0.05,
          inverse: { kind: 'lissa', settings: { chains: 1, depth, scale: 5, batchSize: 40 } },
        },
        certification: { ...certification, lambdaMin: 0, solverTolerance: tau },
      });
    const lissa = await unlearn(engine, lissaReq(200, 0.5));
    const exactDamped = await unlearn(
      engine,
      request({
        newton: { form: 'nonconvergence', damping: 0.05, inverse: { kind: 'exact' } },
        certification: { ...certification, lambdaMin: 0 },
      }),
    );
    // ‖x − A⁻¹g‖ = ‖w~_lissa − w~_exact‖ (same start, before projection: both inside the ball).
    const trueError = distance(lissa.private.chainParams, exactDamped.private.chainParams);
    const certified = lissa.private.checks!.residualNorm / (0.05 + l2);
    expect(trueError).toBeLessThanOrEqual(certified * (1 + 1e-3));
    expect(lissa.public.guarantee.boundTerms).toEqual({
      newton: expect.any(Number),
      nonconvergence: expect.any(Number),
      solver: 0.5,
    });
    expect(lissa.public.guarantee.solver).toEqual({ kind: 'lissa', S: 1, s: 200, H: 5, b: 40 });
    expect(json(lissa.public.guarantee)).not.toMatch(/rho|probability >= 1 − ρ/);
    // A too-shallow LiSSA fails its residual check instead of being certified.
    const shallow = await errorOf(unlearn(engine, lissaReq(2, 1e-3)));
    expect(shallow.code).toBe('CERTIFICATION_CHECK_FAILED');
    expect(shallow.details).toEqual({ failed: ['residual'] });
    expect(distance(exact.private.chainParams, wRetrained)).toBeLessThan(0.1);
    expect(liveTensors()).toBe(before);
  });

  it('CG and the converged form agree with the exact step', async () => {
    const exact = await unlearn(engine, request());
    const cg = await unlearn(
      engine,
      request({
        newton: { form: 'nonconvergence', damping: 0, inverse: { kind: 'cg', tolerance: 1e-6 } },
      }),
    );
    expect(relativeError(cg.private.chainParams, exact.private.chainParams)).toBeLessThan(1e-5);
    expect(cg.public.guarantee.solver).toEqual({ kind: 'cg', tolerance: 1e-6 });
    const conv = await unlearn(
      engine,
      request({ newton: { form: 'converged', damping: 0, inverse: { kind: 'exact' } } }),
    );
    const step = distance(wStar, exact.private.chainParams);
    expect(distance(conv.private.chainParams, exact.private.chainParams)).toBeLessThan(0.02 * step);
    // Converged form: (n/(n−n_u))·G/(λ+λ_min) is part of Δ.
    expect(conv.public.guarantee.boundTerms!['nonconvergence']).toBeCloseTo(
      2 / 0.04 + ((400 / 360) * 2) / 0.04,
      8,
    );
  });

  it('certified mode refuses ReLU (no finite M) and M = 0; a tanh network is certified', async () => {
    const relu = mlp([5, 4, 2], 'relu');
    const reluReq = request({
      start: { arch: relu, params: initialParameters(relu, 1), recipe },
    });
    expect((await errorOf(unlearn(engine, reluReq))).code).toBe('INVALID_UNLEARNING_SETTINGS');
    const m0 = await errorOf(
      unlearn(engine, request({ certification: { ...certification, M: 0 } })),
    );
    expect(m0.code).toBe('BOUND_INVALID_INPUT');

    const tanh = mlp([5, 4, 2], 'tanh');
    const trained = await trainModel(engine, {
      arch: tanh,
      data,
      recipe: { ...recipe, C: 5, epochs: 5 },
    });
    const out = await unlearn(engine, {
      ...request(),
      start: { arch: tanh, params: trained.params, recipe: { ...recipe, C: 5 } },
      newton: { form: 'nonconvergence', damping: 2, inverse: { kind: 'cg', tolerance: 1e-6 } },
      certification: { ...certification, M: 10, lambdaMin: -1.5, G: 5, solverTolerance: 0.05 },
    });
    expect(out.public.guarantee.type).toBe('certified');
    expect(out.public.guarantee.assumptions['activation']).toBe('tanh');
  });

  it('the release is the noise-free update plus fresh CSPRNG noise; nothing public regenerates it', async () => {
    const out = await unlearn(engine, request());
    const sigma = out.public.guarantee.sigma;
    expect(equalVectors(out.public.released.params, out.private.chainParams)).toBe(false);
    expect(out.public.released.digest).toBe(modelDigest(arch, out.public.released.params));
    const noise = out.private.noiseNorm / Math.sqrt(out.private.chainParams.length);
    // ‖noise‖/√p ~ σ·√(χ²_p/p), p = 12 (fresh CSPRNG noise, no seed): the lower limit fails with
    // probability P(χ²₁₂ < 0.75) = 2.8e-6, the upper one P(χ²₁₂ > 58.08) = 5e-8.
    expect(noise / sigma).toBeGreaterThan(0.25);
    expect(noise / sigma).toBeLessThan(2.2);
    const again = await unlearn(engine, request());
    expect(again.private.chainDigest).toBe(out.private.chainDigest);
    expect(again.public.released.digest).not.toBe(out.public.released.digest);
    const keys = (v: unknown, acc: string[] = []): string[] => {
      if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return acc;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        acc.push(k);
        keys(x, acc);
      }
      return acc;
    };
    expect(keys(out.public).filter((k) => /noise|timing/i.test(k))).toEqual([]);
    expect(out.public.seed).toBe('convex-request');
  });

  it('exact mode retrains with the recipe (ε = 0); paper-experiment claims nothing and publishes settings only', async () => {
    const base = { start: { arch, params: wStar, recipe }, data, forgetIds: forget.ids, seed: 's' };
    const exact = await unlearn(engine, { ...base, mode: 'exact' });
    expect(exact.public.method).toBe('retrain');
    expect(exact.public.guarantee).toMatchObject({ type: 'exact', epsilon: 0, delta: 0, sigma: 0 });
    expect(exact.public.remainingIds).toEqual(retain.ids);

    const newton = { form: 'nonconvergence', damping: 0, inverse: { kind: 'exact' } } as const;
    const paper = await unlearn(engine, { ...base, mode: 'paper-experiment', newton, sigma: 1e-3 });
    expect(paper.public.guarantee).toMatchObject({
      type: 'none',
      epsilon: null,
      delta: null,
      sigma: 1e-3,
      measured: [],
      assumptions: { C, lambda: 0 },
    });
    expect(paper.public.guarantee.statements.join('\n')).toMatch(/poisons the chain ledger/);
    const bad = await errorOf(
      unlearn(engine, { ...base, mode: 'paper-experiment', newton, sigma: 0 }),
    );
    expect(bad.code).toBe('INVALID_UNLEARNING_SETTINGS');
  });

  it('refuses unknown record ids; a non-convex start with λ = 0 is not certified', async () => {
    expect((await errorOf(unlearn(engine, request({ forgetIds: ['nope'] })))).code).toBe(
      'UNKNOWN_RECORDS',
    );
    // A tanh MLP at its initialisation has negative curvature: the spectrum check fails.
    const net = mlp([5, 6, 2], 'tanh');
    const e = await errorOf(
      unlearn(
        engine,
        request({
          start: { arch: net, params: initialParameters(net, 1), recipe },
          newton: { form: 'nonconvergence', damping: 0, inverse: { kind: 'cg' } },
          certification: { ...certification, lambdaMin: 0.01 },
        }),
      ),
    );
    expect(isUnlearningError(e, 'CERTIFICATION_CHECK_FAILED')).toBe(true);
  });
});
