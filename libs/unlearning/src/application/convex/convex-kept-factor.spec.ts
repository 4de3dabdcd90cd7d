import { engine, useBackend, backendUnderTest, liveTensors } from '../../../test/tf-test-helpers';
import { selectIds, withoutIds } from '../model/dataset';
import { distance } from '../model/flat-vector';
import type { StartPoint } from '../unlearn';
import type { SequentialState } from '../sequential';
import { fitSoftmax64 } from '../../testing/float64-softmax';
import {
  aConvexPolicy,
  aConvexProblem,
  aConvexStart,
  errorOf,
  publicWithoutWeights,
} from '../../testing/convex/convex-factories';
import { assertHonestGuarantee } from '../../domain/model/guarantee';
import { isUnlearningError } from '../../domain/errors';
import {
  buildSoftmaxHessianFactor,
  choleskyUpper,
  softmaxCurvatureSum,
  type SoftmaxHessianFactor,
} from '../../domain/convex/hessian-factor';
import { convexNewtonUnlearn, convexRetrain, keepConvexFactor } from './convex-newton';
import { processConvexDeletionRequest } from './convex-sequential';
import { rowsOf } from './solve-to-tolerance';

jest.setTimeout(120_000);

/**
 * The kept factor (docs/adr/0011-convex-newton.md "The kept factor"): the low-rank (downdate) path
 * must release a centre within τ of the float64 optimum on D_r, like the rebuild path and the
 * Newton-CG path; the three centres are then within 2τ of each other.
 */
describe(`convex-newton with a kept Hessian factor (${backendUnderTest()})`, () => {
  const problem = aConvexProblem({
    n: 400,
    dim: 6,
    classes: 4,
    seed: 'kept-factor',
    forgetCount: 4,
    forgetSeed: 3,
    tau: 1e-5,
    solver: { hessian: 'cg', keptFactor: true },
  });
  const { data, forget, l2, tau, settings } = problem;
  let start: StartPoint;
  let factor: SoftmaxHessianFactor;
  let state: SequentialState;

  beforeAll(async () => {
    await useBackend();
    const trained = await aConvexStart(engine, problem);
    ({ start, state } = trained);
    factor = keepConvexFactor(trained.model.params, data, l2);
  });

  it('the low-rank path, the rebuild path and Newton-CG release centres within τ of w*_r (float64)', async () => {
    const before = liveTensors();
    const req = { start, data, forgetIds: forget.ids, settings, seed: 'kf' };
    const lowRank = await convexNewtonUnlearn(engine, { ...req, factor });
    const rebuilt = await convexNewtonUnlearn(engine, req);
    const cg = await convexNewtonUnlearn(engine, {
      ...req,
      settings: { ...settings, solver: { ...settings.solver, keptFactor: false } },
    });
    expect(liveTensors()).toBe(before); // leak check
    const exact = fitSoftmax64(rowsOf(withoutIds(data, forget.ids)), l2).theta;
    for (const o of [lowRank, rebuilt, cg])
      expect(distance(o.private.chainParams, exact)).toBeLessThanOrEqual(tau);
    expect(distance(lowRank.private.chainParams, rebuilt.private.chainParams)).toBeLessThanOrEqual(
      2 * tau,
    );
    expect(distance(lowRank.private.chainParams, cg.private.chainParams)).toBeLessThanOrEqual(
      2 * tau,
    );
    // The factor did the work: no Hessian-vector product at all.
    expect(lowRank.private.factorSteps).toBeGreaterThanOrEqual(1);
    expect(lowRank.private.hvps).toBe(0);
    // The first gradient on D_r came from the kept gradient on D: one full pass per step only.
    expect(lowRank.private.gradients).toBe(lowRank.private.factorSteps);
    expect(rebuilt.private.gradients).toBe((rebuilt.private.factorSteps ?? 0) + 1);
    expect(cg.private.hvps).toBeGreaterThan(0);
    // The start was not already within τ: the step moved it.
    expect(distance(start.params, exact)).toBeGreaterThan(tau);
    // Same guarantee (settings only), with the factor named in the public solver record.
    expect(publicWithoutWeights(lowRank)).toBe(publicWithoutWeights(rebuilt));
    expect(lowRank.public.guarantee.solver).toMatchObject({ kind: 'cg', factor: 'kept-cholesky' });
    expect(() => assertHonestGuarantee(lowRank.public.guarantee)).not.toThrow();
  });

  it('the downdated factor is the factor of D_r at the training centre (ridge n₀·λ)', async () => {
    const out = await convexNewtonUnlearn(engine, {
      start,
      data,
      forgetIds: forget.ids,
      settings,
      seed: 'kf-2',
      factor,
    });
    const f = out.private.factor as SoftmaxHessianFactor;
    expect(f.rows).toBe(400 - 4);
    const retain = withoutIds(data, forget.ids);
    const rebuilt = choleskyUpper(softmaxCurvatureSum(start.params, rowsOf(retain), 400 * l2), f.p);
    let worst = 0;
    for (let i = 0; i < rebuilt.length; i++)
      worst = Math.max(worst, Math.abs((f.upper[i] as number) - (rebuilt[i] as number)));
    expect(worst).toBeLessThan(1e-8);
    // The kept factor passed in is not modified.
    expect(factor.rows).toBe(400);
  });

  it('refuses a factor that does not hold the request’s data, and refuses when τ is not reached', async () => {
    const other = buildSoftmaxHessianFactor(start.params, rowsOf(withoutIds(data, forget.ids)), l2);
    const e1 = await errorOf(
      convexNewtonUnlearn(engine, {
        start,
        data,
        forgetIds: forget.ids,
        settings,
        seed: 'x',
        factor: other,
      }),
    );
    expect(e1.code).toBe('INVALID_UNLEARNING_SETTINGS');
    const e2 = await errorOf(
      convexNewtonUnlearn(engine, {
        start,
        data,
        forgetIds: forget.ids,
        settings: { ...settings, solver: { ...settings.solver, tolerance: 1e-13, maxSteps: 1 } },
        seed: 'x',
        factor,
      }),
    );
    expect(isUnlearningError(e2, 'CERTIFICATION_CHECK_FAILED')).toBe(true);
    expect(e2.message).not.toMatch(/\d\.\d/); // no value in the message
  });

  it('a chain of requests carries the downdated factor; every centre is within τ of w*_r(k)', async () => {
    const policy = aConvexPolicy(problem);
    let s = state;
    let f: SoftmaxHessianFactor | undefined = factor;
    const before = liveTensors();
    for (let k = 0; k < 4; k++) {
      const forgetIds = [s.remainingIds[7 * k + 1] as string, s.remainingIds[7 * k + 2] as string];
      const step = await processConvexDeletionRequest(engine, {
        state: s,
        dataset: data,
        forgetIds,
        policy,
        seed: 'chain',
        ...(f ? { factor: f } : {}),
      });
      expect(step.public.action).toBe('newton');
      s = step.private.state;
      f = step.private.factor;
      expect(f?.rows).toBe(s.remainingIds.length);
      const exact = fitSoftmax64(rowsOf(selectIds(data, s.remainingIds)), l2).theta;
      expect(distance(s.chainParams, exact)).toBeLessThanOrEqual(tau);
    }
    expect(liveTensors()).toBe(before);
  });

  it('the exact fallback rebuilds the factor at its own centre on D_r', async () => {
    const out = await convexRetrain(engine, {
      start,
      data,
      forgetIds: forget.ids,
      settings,
      seed: 'rt',
    });
    expect(out.public.guarantee.type).toBe('exact');
    expect(out.private.factor?.rows).toBe(396);
    expect(Array.from(out.private.factor?.centre ?? [])).toEqual(
      Array.from(out.private.chainParams),
    );
  });
});
