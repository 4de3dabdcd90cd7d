import { engine, useBackend, backendUnderTest, liveTensors } from '../../../test/tf-test-helpers';
import { mlp } from '../model/architecture';
import { makeDataset, rowsOfIds, withoutIds, type Dataset } from '../model/dataset';
import { distance } from '../model/flat-vector';
import type { StartPoint } from '../unlearn';
import { startSequentialChain, type SequentialState } from '../sequential';
import { fitSoftmax64 } from '../../testing/float64-softmax';
import {
  aConvexPolicy,
  aConvexProblem,
  aConvexStart,
  aTrainedConvexModel,
  errorOf,
  json,
  publicWithoutWeights,
} from '../../testing/convex/convex-factories';
import { calibrateSigma, epsilonForSigma } from '../../domain/privacy/gaussian-mechanism';
import { cumulativeGuarantee, emptyLedger, recordRelease } from '../../domain/privacy/accountant';
import { assertHonestGuarantee } from '../../domain/model/guarantee';
import { assertHonestConvexGuarantee } from '../../domain/convex/convex-certificate';
import { isUnlearningError } from '../../domain/errors';
import { convexNewtonUnlearn, convexRetrain } from './convex-newton';
import { processConvexDeletionRequest } from './convex-sequential';
import { rowsOf } from './solve-to-tolerance';

jest.setTimeout(120_000);

/** ‖a − b‖ between a float32 vector and the float64 oracle. */
const dist64 = (a: Float32Array, b: Float64Array): number => distance(a, b);

/**
 * Small seeded problem (3 classes, d = 4, p = 15): the float64 oracle gives w*_r exactly, so the
 * certified distance ‖centre − w*_r‖ ≤ τ is tested against the truth, not against the engine.
 */
describe(`convex-newton on a softmax regression (${backendUnderTest()})`, () => {
  const problem = aConvexProblem({
    n: 300,
    dim: 4,
    classes: 3,
    seed: 'convex-newton',
    forgetCount: 5,
    forgetSeed: 11,
    tau: 1e-4,
  });
  const { data, forget, l2, tau, settings } = problem;
  let state: SequentialState;
  let start: StartPoint;

  beforeAll(async () => {
    await useBackend();
    ({ state, start } = await aConvexStart(engine, problem));
  });

  it('the trained model is within τ of the float64 optimum on D', () => {
    const exact = fitSoftmax64(rowsOf(data), l2);
    expect(dist64(start.params, exact.theta)).toBeLessThanOrEqual(tau);
  });

  it('releases a centre within τ of the exactly retrained optimum (float64), with σ for Δ = 2τ', async () => {
    const before = liveTensors();
    const out = await convexNewtonUnlearn(engine, {
      start,
      data,
      forgetIds: forget.ids,
      settings,
      seed: 'req-1',
    });
    expect(liveTensors()).toBe(before); // leak check
    const retained = withoutIds(data, forget.ids);
    const exact = fitSoftmax64(rowsOf(retained), l2);
    const err = dist64(out.private.chainParams, exact.theta);
    expect(err).toBeLessThanOrEqual(tau);
    // The private check's value implies the distance (strong convexity), with its allowance.
    const c = out.private.convexChecks;
    expect((c.gradientNorm + c.allowance) / l2).toBeLessThanOrEqual(tau);
    expect(err).toBeLessThanOrEqual(c.gradientNorm / l2 + 1e-12);
    expect(out.private.newtonSteps).toBeGreaterThanOrEqual(1);
    // The start (w* on D) was NOT already within τ of w*_r: the Newton step did the work.
    expect(dist64(start.params, exact.theta)).toBeGreaterThan(tau);

    const g = out.public.guarantee;
    expect(out.public.method).toBe('convex-newton');
    expect(out.public.mode).toBe('certified');
    expect(g).toMatchObject({
      type: 'certified',
      epsilon: 1,
      delta: 1e-5,
      bound: 2 * tau,
      measured: [],
      assumed: [],
      checks: ['gradient-residual'],
      method: 'convex-newton',
    });
    expect(g.assumptions).toMatchObject({ lambda: l2, tau, n: 300, nU: 5, p: 15 });
    expect(g.sigma).toBe(calibrateSigma({ epsilon: 1, delta: 1e-5, sensitivity: 2 * tau }).sigma);
    expect(() => assertHonestGuarantee(g)).not.toThrow();
    expect(out.public.remainingIds).toEqual(retained.ids);
    // Noise was added (CSPRNG), of the right scale: ‖noise‖² ≈ pσ².
    const noise = out.private.noiseNorm;
    expect(noise).toBeGreaterThan(0);
    expect(noise / (g.sigma * Math.sqrt(15))).toBeGreaterThan(0.2);
    expect(noise / (g.sigma * Math.sqrt(15))).toBeLessThan(3);
  });

  it('the CG path (analytic HVPs) certifies the same distance to the float64 optimum', async () => {
    const out = await convexNewtonUnlearn(engine, {
      start,
      data,
      forgetIds: forget.ids,
      settings: { ...settings, solver: { ...settings.solver, hessian: 'cg' } },
      seed: 'req-cg',
    });
    const exact = fitSoftmax64(rowsOf(withoutIds(data, forget.ids)), l2);
    expect(dist64(out.private.chainParams, exact.theta)).toBeLessThanOrEqual(tau);
    expect(out.public.guarantee.solver).toMatchObject({ kind: 'cg' });
    expect(out.private.hvps).toBeGreaterThan(0);
  });

  it('refuses when τ is not reached within maxSteps: nothing released, only the check name', async () => {
    const before = liveTensors();
    // From w = 0, one Newton step cannot reach τ = 1e-4 on this problem.
    const err = await errorOf(
      convexNewtonUnlearn(engine, {
        start: { ...start, params: new Float32Array(15) },
        data,
        forgetIds: forget.ids,
        settings: { ...settings, solver: { ...settings.solver, maxSteps: 1 } },
        seed: 'req-refused',
      }),
    );
    expect(liveTensors()).toBe(before);
    expect(isUnlearningError(err, 'CERTIFICATION_CHECK_FAILED')).toBe(true);
    expect(err.message).toContain('gradient-residual');
    expect(err.message).not.toMatch(/\d\.\d/); // no measured value in the message
    expect((err as unknown as { details: unknown }).details).toEqual({
      failed: ['gradient-residual'],
    });
  });

  it('calibrates σ to Δ = 2τ for the target (ε, δ) by the engine’s Gaussian mechanism', async () => {
    for (const [epsilon, delta, t] of [
      [0.5, 1e-5, 1e-3],
      [1, 1e-6, 1e-4],
      [4, 1e-5, 1e-4],
    ] as const) {
      const out = await convexNewtonUnlearn(engine, {
        start,
        data,
        forgetIds: forget.ids.slice(0, 1),
        settings: { epsilon, delta, solver: { ...settings.solver, tolerance: t } },
        seed: 'sigma',
      });
      const g = out.public.guarantee;
      expect(g.bound).toBe(2 * t);
      const expected = calibrateSigma({ epsilon, delta, sensitivity: 2 * t });
      expect(g.sigma).toBe(expected.sigma);
      expect(g.mechanism).toBe(expected.mechanism);
      if (epsilon <= 1) {
        // The classic formula σ = Δ·√(2 ln(1.25/δ))/ε.
        expect(g.sigma).toBeCloseTo((2 * t * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon, 12);
      }
      // σ supports the claimed ε (round trip through the analytic accountant).
      const supported = epsilonForSigma({
        sigma: g.sigma,
        delta,
        sensitivity: 2 * t,
        mechanism: 'analytic',
      });
      expect(supported.epsilon).toBeLessThanOrEqual(epsilon * (1 + 1e-9));
    }
  });

  it('the gate refuses a convex-newton guarantee that claims more than 2τ and σ support', async () => {
    const out = await convexNewtonUnlearn(engine, {
      start,
      data,
      forgetIds: forget.ids,
      settings,
      seed: 'gate',
    });
    const g = out.public.guarantee;
    const refused = (over: Record<string, unknown>) =>
      expect(() => assertHonestGuarantee({ ...g, ...over })).toThrow(
        expect.objectContaining({ code: 'PRIVACY_INVALID_PARAMS' }),
      );
    refused({ bound: tau }); // Δ < 2τ
    refused({ epsilon: 0.5 }); // σ does not support it
    refused({ measured: ['tau'] });
    refused({ checks: [] });
    refused({ assumptions: { ...g.assumptions, activation: 'tanh' } });
    refused({ solver: { kind: 'lissa' } });
    refused({ sigma: g.sigma / 2 }); // σ too small for the claimed ε at Δ = 2τ
    refused({ assumptions: { ...g.assumptions, mechanismDelta: 2e-5 } }); // more δ than claimed
    // With the private values: a check that did not pass is refused.
    expect(() =>
      assertHonestConvexGuarantee(g, { gradientNorm: 2 * l2 * tau, allowance: 0 }),
    ).toThrow(expect.objectContaining({ code: 'PRIVACY_INVALID_PARAMS' }));
    expect(() => assertHonestConvexGuarantee(g, out.private.convexChecks)).not.toThrow();
  });

  it('two datasets differing only in a deleted record’s content publish identical values except the noisy weights', async () => {
    const [row] = rowsOfIds(data, [forget.ids[0] as string]);
    const features = Float32Array.from(data.features);
    for (let j = 0; j < data.dim; j++) features[(row as number) * data.dim + j] = 7 + j;
    const labels = Int32Array.from(data.labels);
    labels[row as number] = ((data.labels[row as number] as number) + 1) % 3;
    const other: Dataset = makeDataset({ ...data, features, labels });
    const otherModel = await aTrainedConvexModel(engine, other, problem);
    const req = { data, forgetIds: forget.ids, settings, seed: 'same-seed' };
    const a = await convexNewtonUnlearn(engine, { ...req, start });
    const b = await convexNewtonUnlearn(engine, {
      ...req,
      data: other,
      start: { ...start, params: otherModel.params },
    });
    expect(publicWithoutWeights(a)).toBe(publicWithoutWeights(b));
    // The private centres differ (different starts), yet both are within τ of the same w*_r.
    expect(a.private.chainDigest).not.toBe(b.private.chainDigest);
    const exact = fitSoftmax64(rowsOf(withoutIds(data, forget.ids)), l2);
    expect(dist64(a.private.chainParams, exact.theta)).toBeLessThanOrEqual(tau);
    expect(dist64(b.private.chainParams, exact.theta)).toBeLessThanOrEqual(tau);
  });

  it('the retrain fallback solves from w = 0 to τ and releases with the same σ (exact, ε = 0)', async () => {
    const out = await convexRetrain(engine, {
      start,
      data,
      forgetIds: forget.ids,
      settings,
      seed: 'retrain',
    });
    const exact = fitSoftmax64(rowsOf(withoutIds(data, forget.ids)), l2);
    expect(dist64(out.private.chainParams, exact.theta)).toBeLessThanOrEqual(tau);
    expect(out.public.method).toBe('retrain');
    expect(out.public.guarantee).toMatchObject({ type: 'exact', epsilon: 0, delta: 0, bound: 0 });
    expect(out.public.guarantee.sigma).toBe(
      calibrateSigma({ epsilon: 1, delta: 1e-5, sensitivity: 2 * tau }).sigma,
    );
    expect(() => assertHonestGuarantee(out.public.guarantee)).not.toThrow();
  });

  it('refuses other architectures and a zero L2 coefficient with INVALID_UNLEARNING_SETTINGS', async () => {
    const tanh = mlp([4, 3, 3], 'tanh');
    const e1 = await errorOf(
      convexNewtonUnlearn(engine, {
        start: { ...start, arch: tanh },
        data,
        forgetIds: forget.ids,
        settings,
        seed: 's',
      }),
    );
    expect(e1.code).toBe('INVALID_UNLEARNING_SETTINGS');
    const e2 = await errorOf(
      convexNewtonUnlearn(engine, {
        start: { ...start, recipe: { ...start.recipe, l2: 0 } },
        data,
        forgetIds: forget.ids,
        settings,
        seed: 's',
      }),
    );
    expect(e2.code).toBe('INVALID_UNLEARNING_SETTINGS');
  });

  describe('sequential requests (processConvexDeletionRequest)', () => {
    const policy = aConvexPolicy(problem);

    it('three requests compose in the ledger; every centre stays within τ of its w*_r(k)', async () => {
      let s = state;
      let ledger = emptyLedger;
      const sigma = calibrateSigma({ epsilon: 1, delta: 1e-5, sensitivity: 2 * tau }).sigma;
      const chunks = [forget.ids.slice(0, 2), forget.ids.slice(2, 4), forget.ids.slice(4)];
      for (const [i, ids] of chunks.entries()) {
        const step = await processConvexDeletionRequest(engine, {
          state: s,
          dataset: data,
          forgetIds: ids,
          policy,
          seed: 'chain',
        });
        expect(step.public.action).toBe('newton');
        expect(step.public.reasons).toEqual(['certified-within-policy']);
        expect(step.public.release?.method).toBe('convex-newton');
        ledger = recordRelease(ledger, {
          kind: 'gaussian',
          sigma,
          sensitivity: 2 * tau,
          epsilon: 1,
          delta: 1e-5,
        });
        expect(step.public.cumulative).toEqual(cumulativeGuarantee(ledger));
        expect(step.public.k).toBe(i + 1);
        s = step.private.state;
        const exact = fitSoftmax64(
          rowsOf(withoutIds(data, forget.ids.slice(0, 2 * i + ids.length))),
          l2,
        );
        expect(dist64(s.chainParams, exact.theta)).toBeLessThanOrEqual(tau);
      }
      expect(s.ledger.releases).toBe(3);
      // GDP composition of three equal Gaussian releases is tighter than 3ε.
      expect(cumulativeGuarantee(s.ledger).epsilon).toBeLessThan(3);
      expect(cumulativeGuarantee(s.ledger).epsilon).toBeGreaterThan(1);
    });

    it('a refused candidate: retrain (ledger reset) or needs-retrain, publishing only private-check-failed', async () => {
      // A start far from the optimum (a stale chain state) and one step: the check fails.
      const far: SequentialState = { ...state, chainParams: new Float32Array(15) };
      const strict = { ...policy, solver: { ...policy.solver, maxSteps: 1 } };
      const parked = await processConvexDeletionRequest(engine, {
        state: far,
        dataset: data,
        forgetIds: forget.ids,
        policy: { ...strict, retrainAllowed: false },
        seed: 'refused',
      });
      expect(parked.public).toEqual({
        k: 1,
        action: 'needs-retrain',
        reasons: ['private-check-failed', 'retrain-not-allowed'],
        release: null,
        cumulative: cumulativeGuarantee(far.ledger),
      });
      expect(parked.private.state).toBe(far);

      const retrained = await processConvexDeletionRequest(engine, {
        state: far,
        dataset: data,
        forgetIds: forget.ids,
        policy: strict,
        seed: 'refused',
      });
      expect(retrained.public.action).toBe('retrain');
      expect(retrained.public.reasons).toEqual(['private-check-failed', 'retrain-instead']);
      expect(retrained.public.release?.guarantee.type).toBe('exact');
      expect(retrained.public.cumulative.epsilon).toBe(0);
      expect(retrained.private.state.ledger).toEqual(emptyLedger);
      const exact = fitSoftmax64(rowsOf(withoutIds(data, forget.ids)), l2);
      expect(dist64(retrained.private.state.chainParams, exact.theta)).toBeLessThanOrEqual(tau);
    });

    it('a budget that one more release would exceed retrains without computing a candidate', async () => {
      const step = await processConvexDeletionRequest(engine, {
        state,
        dataset: data,
        forgetIds: forget.ids,
        policy: { ...policy, cumulativeBudget: { epsilon: 0.5, delta: 1e-4 } },
        seed: 'budget',
      });
      expect(step.public.action).toBe('retrain');
      expect(step.public.reasons).toEqual(['budget-exceeded', 'retrain-instead']);
      expect(step.private.candidate).toBeUndefined();
    });

    it('an accuracy floor needs a validation set', async () => {
      const err = await errorOf(
        processConvexDeletionRequest(engine, {
          state,
          dataset: data,
          forgetIds: forget.ids,
          policy: { ...policy, accuracyFloor: 0.5 },
          seed: 'floor',
        }),
      );
      expect(err.code).toBe('INVALID_UNLEARNING_SETTINGS');
    });

    it('two chains differing in one deleted record’s content publish the same step except the weights', async () => {
      const [row] = rowsOfIds(data, [forget.ids[0] as string]);
      const features = Float32Array.from(data.features);
      for (let j = 0; j < data.dim; j++) features[(row as number) * data.dim + j] = -5;
      const other = makeDataset({ ...data, features });
      const otherState = startSequentialChain(
        await aTrainedConvexModel(engine, other, problem),
        other.ids,
      );
      const strip = (p: { release: { released: unknown } | null }) =>
        json({ ...p, release: p.release ? { ...p.release, released: null } : null });
      const a = await processConvexDeletionRequest(engine, {
        state,
        dataset: data,
        forgetIds: forget.ids,
        policy,
        seed: 'pair',
      });
      const b = await processConvexDeletionRequest(engine, {
        state: otherState,
        dataset: other,
        forgetIds: forget.ids,
        policy,
        seed: 'pair',
      });
      expect(strip(a.public)).toBe(strip(b.public));
    });
  });
});
