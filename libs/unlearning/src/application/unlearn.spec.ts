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
import { distance, norm2, equalVectors } from './model/flat-vector';
import { modelDigest } from './model/weights-codec';
import { initialParameters } from '../infrastructure/model/init';
import { assertHonestGuarantee } from '../domain/model/guarantee';
import { publicOutcome, unlearn, type UnlearnRequest } from './unlearn';
import { addGaussianNoise } from './model/noise';
import { deriveSeed } from '../domain/random';

jest.setTimeout(120_000);

/**
 * L2-regularised logistic regression (convex; constants known): the Newton-updated model must be
 * within the certified bound Δ of the retrained optimum, and within the much tighter Newton
 * quadratic-convergence bound computed from the measured distance ||w* − w~*||.
 */
describe(`unlearn(engine, ) on L2-regularised logistic regression (${backendUnderTest()})`, () => {
  const l2 = 0.05;
  const C = 10;
  const data = logisticData({ n: 400, dim: 5, seed: 'convex', maxNorm: 1.5, signal: 5 });
  const { forget, retain } = forgetRetainSplit(data, { forgetCount: 40, seed: 9 });
  const arch = logisticRegression(5, 2);
  const M = softmaxRegressionM(data);
  const recipe = { C, l2, learningRate: 0.05, epochs: 30, batchSize: 50, seed: 1 };
  let wStar: Float32Array;
  let wRetrained: Float32Array;
  let request: (over: Partial<UnlearnRequest>) => UnlearnRequest;

  beforeAll(async () => {
    await useBackend();
    const full = await fitConvexOptimum(data, l2);
    const retrained = await fitConvexOptimum(retain, l2);
    expect(full.gradientNorm).toBeLessThan(1e-5);
    expect(retrained.gradientNorm).toBeLessThan(1e-5);
    wStar = full.params;
    wRetrained = retrained.params;
    expect(norm2(wStar)).toBeLessThan(C); // both optima inside the ball: the theorem's setting
    expect(norm2(wRetrained)).toBeLessThan(C);
    request = (over) => ({
      start: { arch, params: wStar, recipe },
      data,
      forgetIds: forget.ids,
      mode: 'certified',
      newton: { form: 'nonconvergence', damping: 0, inverse: { kind: 'exact' } },
      // λ = 0 (the theorem's exact Newton step): λ_min = l2 = 0.05 exactly, so the default margin
      // (0.05·max(1, |λ_max|)) would leave λ + λ_min ≤ 0; a smaller margin keeps the test certifiable.
      certification: { epsilon: 1, delta: 1e-5, M, spectrumMargin: 0.01 },
      seed: 'convex-request',
      ...over,
    });
  });

  it('exact Newton step: ||w~ − w~*|| <= Δ and <= the measured quadratic bound', async () => {
    const out = await unlearn(engine, request({}));
    const err = distance(out.private.chainParams, wRetrained);
    const e = distance(wStar, wRetrained);
    const c = out.diagnostics.constants!;
    expect(c.lambdaMin).toBeGreaterThanOrEqual(l2 * 0.999); // strongly convex: λ_min >= l2
    // Newton from w*: error <= (M/2)·e²/λ_min (+ the tiny stationarity residual at w~*).
    const quadratic = ((M / 2) * e * e) / c.lambdaMin;
    expect(err).toBeLessThan(quadratic);
    expect(err).toBeLessThan(0.05 * e); // and the step really moved towards w~*
    const bound = out.guarantee.bound as number;
    expect(err).toBeLessThan(bound);
    expect(out.guarantee.type).toBe('certified');
    expect(out.method).toBe('newton-exact');
    expect(() => assertHonestGuarantee(out.guarantee)).not.toThrow();
    expect(out.guarantee.assumed).toEqual(expect.arrayContaining(['M', 'G']));
    expect(out.guarantee.assumptions['M']).toBe(M);
  });

  it('widens the Ritz values by the spectrum margin and lists λ_min/λ_max as assumed', async () => {
    const out = await unlearn(engine, request({}));
    const g = out.guarantee;
    const c = out.diagnostics.constants!;
    const m = 0.01 * Math.max(1, Math.abs(c.lambdaMax));
    expect(g.assumptions['lambdaMinRitz']).toBe(c.lambdaMin);
    expect(g.assumptions['lambdaMaxRitz']).toBe(c.lambdaMax);
    expect(g.assumptions['lambdaMin']).toBeCloseTo(c.lambdaMin - m, 14);
    expect(g.assumptions['lambdaMax']).toBeCloseTo(c.lambdaMax + m, 14);
    expect(g.assumptions['spectrumMargin']).toBe(0.01);
    expect(g.assumed).toEqual(expect.arrayContaining(['lambdaMin', 'lambdaMax']));
    expect(g.measured).not.toContain('lambdaMin');
    expect(g.measured).toEqual(expect.arrayContaining(['lambdaMinRitz', 'lambdaMaxRitz']));
    expect(g.statements.join('\n')).toMatch(/Ritz values .*widened by the margin/);
    // The bound is larger than with the raw (inner) Ritz values: Δ is not under-stated.
    const raw = await unlearn(
      engine,
      request({ certification: { epsilon: 1, delta: 1e-5, M, spectrumMargin: 0 } }),
    );
    expect(g.bound as number).toBeGreaterThan(raw.guarantee.bound as number);
    // The default margin (0.05) at λ = 0 leaves λ + λ_min ≤ 0 here: refused, not under-stated.
    await expect(
      unlearn(engine, request({ certification: { epsilon: 1, delta: 1e-5, M } })),
    ).rejects.toMatchObject({ code: 'BOUND_INVALID_INPUT' });
  });

  it('a subsampled Hessian spectrum is stated in the guarantee', async () => {
    const out = await unlearn(engine, request({ constantsSettings: { hessianSampleSize: 100 } }));
    expect(out.guarantee.assumptions['hessianSampleSize']).toBe(100);
    expect(out.guarantee.statements.join('\n')).toMatch(/subsample of 100 of the 360 rows of D_r/);
    expect(out.guarantee.assumed).toEqual(expect.arrayContaining(['lambdaMin', 'lambdaMax']));
    const full = await unlearn(engine, request({}));
    expect(full.guarantee.assumptions['hessianSampleSize']).toBeUndefined();
    expect(full.guarantee.statements.join('\n')).not.toMatch(/subsample/);
  });

  it('converged form at a non-stationary start: measures ‖∇L(start, D)‖ and adds its term', async () => {
    const off = Float32Array.from(wStar, (x, i) => (i === 0 ? x + 0.3 : x));
    const out = await unlearn(
      engine,
      request({
        start: { arch, params: off, recipe },
        newton: { form: 'converged', damping: 0, inverse: { kind: 'exact' } },
      }),
    );
    const full = norm2(await engine.gradient({ arch, l2, params: off, data }));
    expect(full).toBeGreaterThan(1e-3);
    const g = out.guarantee;
    expect(g.assumptions['fullGradNorm']).toBeCloseTo(full, 6);
    expect(g.measured).toContain('fullGradNorm');
    expect(() => assertHonestGuarantee(g)).not.toThrow();
    const mu = (g.assumptions['lambda'] as number) + (g.assumptions['lambdaMin'] as number);
    const G = g.assumptions['G'] as number;
    expect(g.boundTerms!['nonconvergence']).toBeCloseTo(G / mu + ((400 / 360) * full) / mu, 8);
    expect(g.statements.join('\n')).not.toMatch(/w\* is a stationary point of L\(·, D\)/);
  });

  it('refuses constants measured at another point, with another damping or on another D_r', async () => {
    const measure = (params: Float32Array, damping: number, on = retain) =>
      engine.measureConstants({ arch, params, retain: on, l2, damping, settings: { seed: 2 } });
    const elsewhere = await measure(wRetrained, 0);
    await expect(unlearn(engine, request({ constants: elsewhere }))).rejects.toMatchObject({
      code: 'INVALID_UNLEARNING_SETTINGS',
    });
    // Without a digest (constants from another engine), the parameter norm is compared.
    const { parameterDigest: _d, ...noDigest } = elsewhere;
    await expect(unlearn(engine, request({ constants: noDigest }))).rejects.toMatchObject({
      code: 'INVALID_UNLEARNING_SETTINGS',
    });
    await expect(
      unlearn(engine, request({ constants: await measure(wStar, 0.5) })),
    ).rejects.toMatchObject({ code: 'INVALID_UNLEARNING_SETTINGS' });
    await expect(
      unlearn(engine, request({ constants: await measure(wStar, 0, data) })),
    ).rejects.toMatchObject({ code: 'INVALID_UNLEARNING_SETTINGS' });
    const here = await measure(wStar, 0);
    await expect(unlearn(engine, request({ constants: here }))).resolves.toBeDefined();
  });

  it('certified LiSSA refuses a scale H below a measured minibatch λ_max', async () => {
    const constants = await engine.measureConstants({
      arch,
      params: wStar,
      retain,
      l2,
      damping: 0,
      settings: { seed: 1, minibatchSamples: 4, batchSize: 5 },
    });
    const c = constants.minibatchLambdaMax as number;
    // H above the widened full-batch λ_max + λ, but below the minibatch λ_max.
    const H = 1.2 * (constants.lambdaMax + 0.01 * Math.max(1, constants.lambdaMax));
    const mb = { ...constants, minibatchLambdaMax: Math.max(c, 2 * H) };
    const lissa = (scale: number, cs = mb) =>
      unlearn(
        engine,
        request({
          constants: cs,
          newton: {
            form: 'nonconvergence',
            damping: 0,
            inverse: { kind: 'lissa', settings: { chains: 1, depth: 50, scale, batchSize: 5 } },
          },
        }),
      );
    await expect(lissa(H)).rejects.toMatchObject({
      code: 'BOUND_INVALID_INPUT',
      message: expect.stringContaining('minibatch'),
    });
    const ok = await lissa(2.5 * H);
    expect(ok.guarantee.statements.join('\n')).toMatch(/minibatch λ_max/);
  });

  it('the release is the noise-free update plus N(0, σ²I): never equal to it, σ from (ε, δ, Δ)', async () => {
    const out = await unlearn(engine, request({}));
    const sigma = out.guarantee.sigma;
    const expectedSigma =
      ((out.guarantee.bound as number) * Math.sqrt(2 * Math.log(1.25 / 1e-5))) / 1;
    expect(sigma).toBeCloseTo(expectedSigma, 6);
    expect(equalVectors(out.released.params, out.private.chainParams)).toBe(false);
    expect(out.released.digest).not.toBe(out.private.chainDigest);
    expect(out.released.digest).toBe(modelDigest(arch, out.released.params));
    const noise = out.private.noiseNorm / Math.sqrt(out.private.chainParams.length);
    // ‖noise‖/√p ~ σ·√(χ²_p/p), p = 12: these limits fail with probability < 1e-6.
    expect(noise / sigma).toBeGreaterThan(0.25);
    expect(noise / sigma).toBeLessThan(2.2);
    // Same request and seed: the same noise-free chain state, but fresh (CSPRNG) noise every time,
    // so nobody can regenerate the noise from anything the outcome records.
    const again = await unlearn(engine, request({}));
    expect(again.private.chainDigest).toBe(out.private.chainDigest);
    expect(equalVectors(again.private.chainParams, out.private.chainParams)).toBe(true);
    expect(again.released.digest).not.toBe(out.released.digest);
    const diff = distance(again.released.params, out.released.params);
    expect(diff / Math.sqrt(2 * out.private.chainParams.length) / sigma).toBeGreaterThan(0.25);
  });

  it('records no noise seed: nothing public regenerates the release noise', async () => {
    const out = await unlearn(engine, request({}));
    const pub = publicOutcome(out);
    const keys = (v: unknown, acc: string[] = []): string[] => {
      if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return acc;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        acc.push(k);
        keys(x, acc);
      }
      return acc;
    };
    expect(keys(pub).filter((k) => /noise/i.test(k))).toEqual([]);
    expect(keys(out.private).filter((k) => /seed/i.test(k))).toEqual([]);
    // The only seed recorded is the request's, and the old derivation from it is not the noise.
    expect(pub.seed).toBe('convex-request');
    const fromSeed = addGaussianNoise(
      out.private.chainParams,
      out.guarantee.sigma,
      deriveSeed('convex-request', 'release-noise'),
    );
    expect(equalVectors(fromSeed, out.released.params)).toBe(false);
    expect(JSON.stringify(pub)).not.toMatch(/release-noise/);
  });

  it('the public outcome holds no noise-free value (chain digest, chain vector, step/noise norms)', async () => {
    const out = await unlearn(engine, request({}));
    const json = JSON.stringify(publicOutcome(out), (_k, v: unknown) =>
      v instanceof Float32Array ? Array.from(v) : v,
    );
    expect(json).not.toContain(out.private.chainDigest);
    expect(json).not.toContain(JSON.stringify(Array.from(out.private.chainParams)));
    for (const x of out.private.chainParams)
      if (String(x).length > 8) expect(json).not.toContain(String(x));
    expect(json).not.toContain(String(out.private.stepNorm));
    expect(json).not.toContain(String(out.private.noiseNorm));
    expect(json).not.toContain(String(out.private.chainGradientResidualNorm));
    expect(Object.keys(publicOutcome(out))).not.toContain('private');
    // The residual reported publicly is measured at the release, not at w~.
    const atRelease = norm2(
      await engine.gradient({ arch, l2, params: out.released.params, data: retain }),
    );
    expect(out.diagnostics.gradientResidualNorm).toBeCloseTo(atRelease, 10);
  });

  it('LiSSA, CG and the converged form agree with the exact step (and leak no tensor)', async () => {
    const before = liveTensors();
    const exact = await unlearn(engine, request({}));
    const constants = await engine.measureConstants({
      arch,
      params: wStar,
      retain,
      l2,
      damping: 0,
      settings: { seed: 1, minibatchSamples: 4, batchSize: 40 },
    });
    const lissa = await unlearn(
      engine,
      request({
        constants,
        newton: {
          form: 'nonconvergence',
          damping: 0,
          inverse: {
            kind: 'lissa',
            settings: { chains: 2, depth: 400, scale: constants.suggestedScale, batchSize: 40 },
          },
        },
      }),
    );
    const step = distance(wStar, exact.private.chainParams);
    expect(distance(lissa.private.chainParams, exact.private.chainParams)).toBeLessThan(0.1 * step);
    expect(lissa.guarantee.boundTerms?.['lissa']).toBeGreaterThan(0);
    expect(lissa.guarantee.settings).toEqual(expect.arrayContaining(['H', 's', 'S', 'b', 'rho']));
    // ‖g‖ is measured, so L does not enter the bound: neither listed nor valued.
    expect(lissa.guarantee.assumed).not.toContain('L');
    expect(lissa.guarantee.assumptions['L']).toBeUndefined();
    expect(lissa.guarantee.assumed).toContain('G');
    expect(() => assertHonestGuarantee(lissa.guarantee)).not.toThrow();
    expect(distance(lissa.private.chainParams, wRetrained)).toBeLessThan(
      lissa.guarantee.bound as number,
    );

    const cg = await unlearn(
      engine,
      request({
        newton: { form: 'nonconvergence', damping: 0, inverse: { kind: 'cg', tolerance: 1e-6 } },
      }),
    );
    expect(relativeError(cg.private.chainParams, exact.private.chainParams)).toBeLessThan(1e-5);
    // At an exact optimum ∇L(w*, D) = 0, so both forms are the same step.
    const conv = await unlearn(
      engine,
      request({ newton: { form: 'converged', damping: 0, inverse: { kind: 'exact' } } }),
    );
    expect(distance(conv.private.chainParams, exact.private.chainParams)).toBeLessThan(0.02 * step);
    expect(liveTensors()).toBe(before);
  });

  it('exact mode retrains with the recipe (ε = 0); paper-experiment claims nothing', async () => {
    const exact = await unlearn(engine, request({ mode: 'exact' }));
    expect(exact.method).toBe('retrain');
    expect(exact.guarantee).toMatchObject({ type: 'exact', epsilon: 0, delta: 0, sigma: 0 });
    expect(exact.remainingIds).toEqual(retain.ids);
    expect(() => assertHonestGuarantee(exact.guarantee)).not.toThrow();

    const paper = await unlearn(
      engine,
      request({ mode: 'paper-experiment', sigma: 1e-3, certification: undefined }),
    );
    expect(paper.guarantee).toMatchObject({
      type: 'none',
      epsilon: null,
      delta: null,
      sigma: 1e-3,
    });
    expect(() => assertHonestGuarantee(paper.guarantee)).not.toThrow();
    const paperMeasured = await unlearn(
      engine,
      request({
        mode: 'paper-experiment',
        sigma: 1e-3,
        certification: undefined,
        measureInPaperMode: true,
      }),
    );
    // G is the same proxy in every mode: assumed, never measured.
    expect(paperMeasured.guarantee.assumed).toContain('G');
    expect(paperMeasured.guarantee.measured).not.toContain('G');
    await expect(
      unlearn(engine, request({ mode: 'paper-experiment', sigma: 0, certification: undefined })),
    ).rejects.toMatchObject({ code: 'INVALID_UNLEARNING_SETTINGS' });
  });

  it('refuses unknown record ids, and an uncertifiable setting fails fast with BOUND_INVALID_INPUT', async () => {
    await expect(unlearn(engine, request({ forgetIds: ['nope'] }))).rejects.toMatchObject({
      code: 'UNKNOWN_RECORDS',
    });
    // A tanh MLP at its initialisation has negative curvature; λ = 0 cannot be certified.
    const net = mlp([5, 6, 2], 'tanh');
    await expect(
      unlearn(
        engine,
        request({
          start: { arch: net, params: initialParameters(net, 1), recipe },
          newton: { form: 'nonconvergence', damping: 0, inverse: { kind: 'cg' } },
        }),
      ),
    ).rejects.toMatchObject({ code: 'BOUND_INVALID_INPUT' });
  });

  it('certified mode never certifies an LU (indefinite) exact solve: BOUND_INVALID_INPUT', async () => {
    const net = mlp([5, 6, 2], 'tanh');
    const params = initialParameters(net, 1);
    const measured = await engine.measureConstants({
      arch: net,
      params,
      retain,
      l2,
      damping: 0,
      settings: { seed: 1 },
    });
    expect(measured.lambdaMin).toBeLessThan(0); // indefinite at λ = 0
    // Constants that (wrongly) claim positive curvature get past the early check; the solve
    // itself must then refuse to certify.
    const lying = { ...measured, lambdaMin: 1, dampedLambdaMin: 1 };
    const indefinite = {
      start: { arch: net, params, recipe },
      constants: lying,
      newton: {
        form: 'nonconvergence' as const,
        damping: 0,
        inverse: { kind: 'exact' as const, allowIndefinite: true },
      },
    };
    await expect(unlearn(engine, request(indefinite))).rejects.toMatchObject({
      code: 'BOUND_INVALID_INPUT',
    });
    // Outside certified mode the LU fallback runs and says so.
    const paper = await unlearn(
      engine,
      request({ ...indefinite, mode: 'paper-experiment', sigma: 1e-3, certification: undefined }),
    );
    expect(paper.diagnostics.inverse?.factorization).toBe('lu');
    expect(paper.guarantee.type).toBe('none');
  });
});
