import { engine, useBackend, backendUnderTest } from '../../test/tf-test-helpers';
import { fitConvexOptimum, softmaxRegressionM } from '../../test/convex-fixtures';
import { logisticData } from '../infrastructure/data/synthetic';
import { trainTestSplit } from '../infrastructure/data/split';
import { logisticRegression } from './model/architecture';
import { distance, equalVectors } from './model/flat-vector';
import { modelDigest } from './model/weights-codec';
import { trainModel, type TrainedModel } from './trained-model';
import {
  processDeletionRequest,
  startSequentialChain,
  type SequentialPolicy,
  type SequentialSettings,
  type SequentialState,
} from './sequential';
import { deserializeSequentialState, serializeSequentialState } from './sequential-store';

jest.setTimeout(120_000);

/** Every Float32Array reachable from a value (deep walk). */
const typedArrays = (v: unknown, seen = new Set<unknown>()): Float32Array[] => {
  if (v === null || typeof v !== 'object' || seen.has(v)) return [];
  seen.add(v);
  if (v instanceof Float32Array) return [v];
  return Object.values(v as Record<string, unknown>).flatMap((x) => typedArrays(x, seen));
};

const expectStateHoldsNoRelease = (state: SequentialState, released: Float32Array): void => {
  for (const arr of typedArrays(state)) expect(equalVectors(arr, released)).toBe(false);
  expect(state.chainDigest).not.toBe(modelDigest(state.arch, released));
  expect(Object.keys(state).filter((k) => k.toLowerCase().includes('release'))).toEqual([
    'previousReleaseDigest',
  ]);
};

describe(`sequential unlearning (paper Algorithm 2) on logistic regression (${backendUnderTest()})`, () => {
  const l2 = 0.05;
  const all = logisticData({ n: 500, dim: 4, seed: 'seq', maxNorm: 1.5, signal: 5 });
  const { train, test } = trainTestSplit(all, { testSize: 100, seed: 1 });
  const arch = logisticRegression(4, 2);
  const recipe = { C: 4, l2, learningRate: 0.05, epochs: 20, batchSize: 50, seed: 3 };
  const settings: SequentialSettings = {
    newton: { form: 'nonconvergence', damping: 0, inverse: { kind: 'exact' } },
    // λ = 0 and λ_min = l2: a small spectrum margin keeps λ + λ_min > 0 (the default would refuse).
    certification: { M: softmaxRegressionM(all), spectrumMargin: 0.01 },
  };
  const certified: SequentialPolicy = {
    mode: 'certified',
    target: { epsilon: 1, delta: 1e-6 },
    cumulativeBudget: { epsilon: 10, delta: 1e-4 },
    retrainAllowed: true,
  };
  let model: TrainedModel;

  beforeAll(async () => {
    await useBackend();
    model = await trainModel(engine, { arch, data: train, recipe });
    // Sanity for the fixture: the optimum lies well inside the ball.
    expect((await fitConvexOptimum(train, l2)).params.length).toBe(10);
  });

  it('continues from the noise-free state, fresh noise per release, state never holds a release', async () => {
    let state = startSequentialChain(model, train.ids);
    const releases: string[] = [];
    let prevChain = state.chainParams;
    let prevEpsilon = 0;
    for (let k = 1; k <= 3; k++) {
      const forgetIds = state.remainingIds.slice(0, 10);
      const step = await processDeletionRequest(engine, {
        state,
        dataset: train,
        forgetIds,
        policy: certified,
        settings,
        seed: 'chain',
      });
      expect(step.decision.action).toBe('newton');
      const release = step.release!;
      expect(release).not.toBeNull();
      expectStateHoldsNoRelease(step.state, release.params);
      expect(equalVectors(step.state.chainParams, release.params)).toBe(false);
      expect(step.state.k).toBe(k);
      expect(step.state.chainOrigin).toBe('newton');
      expect(step.state.previousReleaseDigest).toBe(release.digest);
      expect(step.state.remainingIds).toHaveLength(state.remainingIds.length - 10);
      expect(step.state.remainingIds.some((id) => forgetIds.includes(id))).toBe(false);
      // The step starts from the previous noise-free state, not from the previous release.
      expect(distance(step.state.chainParams, prevChain)).toBeLessThan(1);
      // Nothing public carries a noise-free value: no chain digest, no chain vector.
      const { state: _private, ...pub } = step;
      const json = JSON.stringify(pub, (_k, v: unknown) =>
        v instanceof Float32Array ? Array.from(v) : v,
      );
      expect(json).not.toContain(step.state.chainDigest);
      expect(json).not.toContain(JSON.stringify(Array.from(step.state.chainParams)));
      expect(typedArrays(pub).some((a) => equalVectors(a, step.state.chainParams))).toBe(false);
      expect(Object.keys(step.outcome!)).not.toContain('private');
      expect(equalVectors(step.state.chainParams, prevChain)).toBe(false);
      expect(step.state.ledger.releases).toBe(k);
      // Composition: grows with k, never above basic composition (k·ε); GDP is tighter than that.
      expect(step.cumulative.epsilon).toBeGreaterThan(prevEpsilon);
      expect(step.cumulative.epsilon).toBeLessThanOrEqual(k + 1e-9);
      prevEpsilon = step.cumulative.epsilon;
      expect(step.guarantee!.type).toBe('certified');
      releases.push(release.digest);
      prevChain = step.state.chainParams;
      state = step.state;
    }
    expect(new Set(releases).size).toBe(3);
    // The private store round-trips the state exactly (and checks the weights' digest).
    const stored = serializeSequentialState(state);
    expect(stored.meta.includes(releases[2] as string)).toBe(true); // only as previousReleaseDigest
    const restored = deserializeSequentialState(stored);
    expect(restored.chainDigest).toBe(state.chainDigest);
    expect(Array.from(restored.chainParams)).toEqual(Array.from(state.chainParams));
    expect(restored.remainingIds).toEqual(state.remainingIds);
    expect(restored.ledger).toEqual(state.ledger);
    expect(restored.profile.l2).toBe(l2);
    // A state stored before the rename (profile.lambda) still loads, as l2.
    const legacyMeta = JSON.parse(stored.meta) as { profile: Record<string, unknown> };
    legacyMeta.profile['lambda'] = legacyMeta.profile['l2'];
    delete legacyMeta.profile['l2'];
    const legacy = deserializeSequentialState({ ...stored, meta: JSON.stringify(legacyMeta) });
    expect(legacy.profile.l2).toBe(l2);
    expect(legacy.profile).not.toHaveProperty('lambda');
    const tampered = Uint8Array.from(stored.weights);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    expect(() => deserializeSequentialState({ ...stored, weights: tampered })).toThrow(
      expect.objectContaining({ code: 'INVALID_WEIGHTS_FILE' }),
    );
  });

  it('the policy retrains when the budget would be exceeded, and resets the ledger', async () => {
    const policy: SequentialPolicy = {
      ...certified,
      cumulativeBudget: { epsilon: 1.05, delta: 1e-4 },
    };
    let state = startSequentialChain(model, train.ids);
    const first = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy,
      settings,
      seed: 's',
    });
    expect(first.decision.action).toBe('newton');
    state = first.state;
    const second = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy,
      settings,
      seed: 's',
    });
    expect(second.decision.action).toBe('retrain');
    expect(second.decision.reasons.join(' ')).toContain('cumulative budget exceeded');
    expect(second.guarantee!.type).toBe('exact');
    expect(second.state.chainOrigin).toBe('retrain');
    expect(second.state.ledger.releases).toBe(0);
    expect(second.cumulative.epsilon).toBe(0);
    expect(second.state.remainingIds).toHaveLength(train.ids.length - 10);
    expect(second.refused?.guarantee?.type).toBe('certified');

    // Without permission to retrain, the request is parked and nothing changes.
    const parked = await processDeletionRequest(engine, {
      state: first.state,
      dataset: train,
      forgetIds: first.state.remainingIds.slice(0, 5),
      policy: { ...policy, retrainAllowed: false },
      settings,
      seed: 's',
    });
    expect(parked.decision.action).toBe('needs-retrain');
    expect(parked.release).toBeNull();
    expect(parked.state).toBe(first.state);
  });

  it('the accuracy floor refuses the noisy release (the worst-case σ ruins the model) and says why', async () => {
    // The noise is fresh (CSPRNG) on every call, and a release with σ ≫ C is a random classifier:
    // its accuracy is a coin toss around 0.5, so a draw can land above the floor. Every decision
    // must match its own draw, and within 12 draws (P(all ≥ 0.7) is negligible) one is refused.
    const state = startSequentialChain(model, train.ids);
    let refused: Awaited<ReturnType<typeof processDeletionRequest>> | undefined;
    for (let attempt = 0; attempt < 12 && !refused; attempt++) {
      const step = await processDeletionRequest(engine, {
        state,
        dataset: train,
        forgetIds: state.remainingIds.slice(0, 5),
        policy: { ...certified, accuracyFloor: 0.7 },
        settings,
        validation: test,
        seed: 'floor',
      });
      expect(step.refused?.guarantee?.sigma ?? step.guarantee!.sigma).toBeGreaterThan(
        10 * recipe.C,
      );
      if ((step.validationAccuracy as number) < 0.7) refused = step;
      else expect(step.decision.action).toBe('newton');
    }
    expect(refused).toBeDefined();
    const step = refused!;
    expect(step.decision.action).toBe('retrain');
    expect(step.decision.accuracyCheck).toBe('failed');
    expect(step.decision.reasons[0]).toContain('below the floor 0.7');
  });

  it('an uncertifiable request (LiSSA scale below λ_max) goes to retrain with the reason', async () => {
    const state = startSequentialChain(model, train.ids);
    const step = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy: certified,
      // LiSSA scale below λ_max: no valid bound.
      settings: {
        ...settings,
        newton: {
          form: 'nonconvergence',
          damping: 0,
          inverse: {
            kind: 'lissa',
            settings: { chains: 1, depth: 10, scale: 1e-3, batchSize: 10 },
          },
        },
      },
      seed: 'uncert',
    });
    expect(step.decision.action).toBe('retrain');
    expect(step.decision.reasons[0]).toContain('no valid certified bound');
    expect(step.decision.reasons[0]).toContain('BOUND_INVALID_INPUT');
  });

  it('exact mode always retrains; paper-experiment never touches the ledger', async () => {
    const state = startSequentialChain(model, train.ids);
    const exact = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy: { mode: 'exact', retrainAllowed: true },
      settings,
      seed: 'x',
    });
    expect(exact.decision.action).toBe('retrain');
    expect(exact.guarantee?.type).toBe('exact');
    const paper = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy: { mode: 'paper-experiment', retrainAllowed: false },
      settings: { ...settings, sigma: 1e-3 },
      seed: 'p',
    });
    expect(paper.decision.action).toBe('newton');
    expect(paper.guarantee?.type).toBe('none');
    expect(paper.state.ledger.releases).toBe(0);
    expectStateHoldsNoRelease(paper.state, paper.release!.params);
  });
});
