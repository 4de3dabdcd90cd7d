import { engine, useBackend, backendUnderTest } from '../../test/tf-test-helpers';
import { softmaxRegressionM } from '../../test/convex-fixtures';
import { logisticData } from '../infrastructure/data/synthetic';
import { trainTestSplit } from '../infrastructure/data/split';
import { logisticRegression } from './model/architecture';
import { distance, equalVectors } from './model/flat-vector';
import { modelDigest } from './model/weights-codec';
import { trainModel, type TrainedModel } from './trained-model';
import { makeDataset, rowsOfIds, type Dataset } from './model/dataset';
import { projectToBall } from './model/flat-vector';
import {
  processDeletionRequest,
  startSequentialChain,
  type CertifiedPolicy,
  type SequentialStep,
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

/** JSON of the public part of a step, without the noisy weights (the only part allowed to differ). */
const publicWithoutWeights = (step: SequentialStep): string =>
  JSON.stringify(step.public, (k, v: unknown) =>
    k === 'released' ? '<noisy weights>' : v instanceof Float32Array ? Array.from(v) : v,
  );

describe(`sequential unlearning (paper Algorithm 2) on logistic regression (${backendUnderTest()})`, () => {
  const l2 = 0.05;
  const all = logisticData({ n: 500, dim: 4, seed: 'seq', maxNorm: 1.5, signal: 5 });
  const { train, test } = trainTestSplit(all, { testSize: 100, seed: 1 });
  const arch = logisticRegression(4, 2);
  const recipe = { C: 4, l2, learningRate: 0.05, epochs: 20, batchSize: 50, seed: 3 };
  const certified: CertifiedPolicy = {
    mode: 'certified',
    newton: { form: 'nonconvergence', damping: 0.05, inverse: { kind: 'exact' } },
    // λ_min ≥ l2 > 0 for an L2-regularised convex model: the assumed floor 0 holds.
    certification: { M: softmaxRegressionM(all), lambdaMin: 0, G: 1, solverTolerance: 1e-3 },
    target: { epsilon: 1, delta: 1e-6 },
    cumulativeBudget: { epsilon: 10, delta: 1e-4 },
    retrainAllowed: true,
  };
  let model: TrainedModel;

  beforeAll(async () => {
    await useBackend();
    model = await trainModel(engine, { arch, data: train, recipe });
  });

  it('continues from the noise-free state, fresh noise per release, the private state never published', async () => {
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
        seed: 'chain',
      });
      expect(step.public.action).toBe('newton');
      expect(step.public.reasons).toEqual(['certified-within-policy']);
      const release = step.public.release!.released;
      const next = step.private.state;
      expectStateHoldsNoRelease(next, release.params);
      expect(next.k).toBe(k);
      expect(next.chainOrigin).toBe('newton');
      expect(next.previousReleaseDigest).toBe(release.digest);
      expect(next.remainingIds).toHaveLength(state.remainingIds.length - 10);
      expect(next.remainingIds.some((id) => forgetIds.includes(id))).toBe(false);
      expect(distance(next.chainParams, prevChain)).toBeLessThan(1);
      // Nothing public carries a private value: no chain digest, no chain vector, no start digest.
      const json = JSON.stringify(step.public, (_k, v: unknown) =>
        v instanceof Float32Array ? Array.from(v) : v,
      );
      expect(json).not.toContain(next.chainDigest);
      expect(json).not.toContain(state.chainDigest); // the start point of this step
      expect(typedArrays(step.public).some((a) => equalVectors(a, next.chainParams))).toBe(false);
      expect(next.ledger.releases).toBe(k);
      // Composition: grows with k, never above basic composition (k·ε).
      expect(step.public.cumulative.epsilon).toBeGreaterThan(prevEpsilon);
      expect(step.public.cumulative.epsilon).toBeLessThanOrEqual(k + 1e-9);
      prevEpsilon = step.public.cumulative.epsilon;
      expect(step.public.release!.guarantee.type).toBe('certified');
      releases.push(release.digest);
      prevChain = next.chainParams;
      state = next;
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
    // A state stored before the rename (profile.lambda) and before uncertified releases were
    // counted still loads.
    const legacyMeta = JSON.parse(stored.meta) as {
      profile: Record<string, unknown>;
      ledger: Record<string, unknown>;
    };
    legacyMeta.profile['lambda'] = legacyMeta.profile['l2'];
    delete legacyMeta.profile['l2'];
    delete legacyMeta.ledger['uncertifiedReleases'];
    const legacy = deserializeSequentialState({ ...stored, meta: JSON.stringify(legacyMeta) });
    expect(legacy.profile.l2).toBe(l2);
    expect(legacy.profile).not.toHaveProperty('lambda');
    expect(legacy.ledger.uncertifiedReleases).toBe(0);
    const tampered = Uint8Array.from(stored.weights);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    expect(() => deserializeSequentialState({ ...stored, weights: tampered })).toThrow(
      expect.objectContaining({ code: 'INVALID_WEIGHTS_FILE' }),
    );
  });

  it('two chains that differ only in one deleted record publish the same steps except the noisy weights', async () => {
    const target = train.ids[0] as string;
    const row = rowsOfIds(train, [target])[0] as number;
    const features = Float32Array.from(train.features);
    for (let j = 0; j < train.dim; j++)
      features[row * train.dim + j] = -(features[row * train.dim + j] as number);
    const labels = Int32Array.from(train.labels);
    labels[row] = 1 - (labels[row] as number);
    const trainPrime: Dataset = makeDataset({ ...train, features, labels });
    const modelPrime = await trainModel(engine, { arch, data: trainPrime, recipe });
    expect(modelPrime.digest).not.toBe(model.digest);
    const chain = async (m: TrainedModel, d: Dataset): Promise<SequentialStep[]> => {
      let state = startSequentialChain(m, d.ids);
      const steps: SequentialStep[] = [];
      for (const forgetIds of [[target, ...d.ids.slice(1, 5)], d.ids.slice(5, 10)]) {
        const step = await processDeletionRequest(engine, {
          state,
          dataset: d,
          forgetIds,
          policy: certified,
          seed: 'twin',
        });
        steps.push(step);
        state = step.private.state;
      }
      return steps;
    };
    const [a, b] = [await chain(model, train), await chain(modelPrime, trainPrime)];
    for (let k = 0; k < 2; k++) {
      expect(a[k]!.public.action).toBe('newton');
      expect(publicWithoutWeights(a[k]!)).toBe(publicWithoutWeights(b[k]!));
      expect(a[k]!.public.release!.released.digest).not.toBe(b[k]!.public.release!.released.digest);
      // At k = 2 the private start points (noise-free chain states) differ.
      expect(a[k]!.private.state.chainDigest).not.toBe(b[k]!.private.state.chainDigest);
    }
  });

  it('the policy retrains when the budget would be exceeded (resetting the ledger); parked requests publish nothing about the candidate', async () => {
    const policy: CertifiedPolicy = {
      ...certified,
      cumulativeBudget: { epsilon: 1.05, delta: 1e-4 },
    };
    const state = startSequentialChain(model, train.ids);
    const first = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy,
      seed: 's',
    });
    expect(first.public.action).toBe('newton');
    const s1 = first.private.state;
    const second = await processDeletionRequest(engine, {
      state: s1,
      dataset: train,
      forgetIds: s1.remainingIds.slice(0, 5),
      policy,
      seed: 's',
    });
    expect(second.public.action).toBe('retrain');
    expect(second.public.reasons).toEqual(['budget-exceeded', 'retrain-instead']);
    expect(second.private.decision.reasons.join(' ')).toContain('cumulative budget exceeded');
    expect(second.public.release!.guarantee.type).toBe('exact');
    expect(second.private.state.chainOrigin).toBe('retrain');
    expect(second.private.state.ledger.releases).toBe(0);
    expect(second.public.cumulative.epsilon).toBe(0);
    expect(second.private.state.remainingIds).toHaveLength(train.ids.length - 10);
    // The exact release says nothing about the refused candidate (no σ, Δ or accuracy of it).
    const candidateSigma = second.private.candidate && first.public.release!.guarantee.sigma;
    expect(JSON.stringify(second.public)).not.toContain(String(candidateSigma));
    expect(Object.keys(second.public).sort()).toEqual(
      ['action', 'cumulative', 'k', 'reasons', 'release'].sort(),
    );

    // Without permission to retrain, the request is parked and nothing changes.
    const parked = await processDeletionRequest(engine, {
      state: s1,
      dataset: train,
      forgetIds: s1.remainingIds.slice(0, 5),
      policy: { ...policy, retrainAllowed: false },
      seed: 's',
    });
    expect(parked.public).toEqual({
      k: 2,
      action: 'needs-retrain',
      reasons: ['budget-exceeded', 'retrain-not-allowed'],
      release: null,
      cumulative: first.public.cumulative,
    });
    expect(parked.private.state).toBe(s1);
  });

  it('the accuracy floor is a private check: a refused candidate publishes only "private-check-failed"', async () => {
    // A release with σ ≫ C is a random classifier: its accuracy is a coin toss around 0.5, so a
    // draw can land above the floor. Within 12 draws (P(all ≥ 0.7) is negligible) one is refused.
    const state = startSequentialChain(model, train.ids);
    let refused: SequentialStep | undefined;
    for (let attempt = 0; attempt < 12 && !refused; attempt++) {
      const step = await processDeletionRequest(engine, {
        state,
        dataset: train,
        forgetIds: state.remainingIds.slice(0, 5),
        policy: { ...certified, accuracyFloor: 0.7 },
        validation: test,
        seed: 'floor',
      });
      if ((step.private.validationAccuracy as number) < 0.7) refused = step;
      else expect(step.public.action).toBe('newton');
    }
    expect(refused).toBeDefined();
    const step = refused!;
    expect(step.public.action).toBe('retrain');
    expect(step.public.reasons).toEqual(['private-check-failed', 'retrain-instead']);
    expect(step.private.decision.accuracyCheck).toBe('failed');
    expect(step.private.decision.reasons[0]).toContain('below the floor 0.7');
    const pub = JSON.stringify(step.public);
    // The accuracy as a number of its own (0.4 must not match inside a parameter such as 0.4556).
    const accuracy = String(step.private.validationAccuracy).replace('.', '\\.');
    expect(pub).not.toMatch(new RegExp(`(?<![\\d.])${accuracy}(?![\\d])`));
    expect(pub).not.toMatch(/accuracy|floor/i);
  });

  it('an uncertifiable request (a failed private check) goes to retrain; the reason stays private', async () => {
    const state = startSequentialChain(model, train.ids);
    const step = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy: { ...certified, certification: { ...certified.certification, G: 1e-9 } },
      seed: 'uncert',
    });
    expect(step.public.action).toBe('retrain');
    expect(step.public.reasons).toEqual(['private-check-failed', 'retrain-instead']);
    expect(step.private.notCertifiable).toContain('CERTIFICATION_CHECK_FAILED');
    expect(step.private.notCertifiable).toContain('gradient-proxy');
  });

  it('exact mode always retrains; a paper-experiment release poisons the ledger until a retrain', async () => {
    const state = startSequentialChain(model, train.ids);
    const exact = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy: { mode: 'exact' },
      seed: 'x',
    });
    expect(exact.public.action).toBe('retrain');
    expect(exact.public.release?.guarantee.type).toBe('exact');
    const paper = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy: { mode: 'paper-experiment', newton: certified.newton, sigma: 1e-3 },
      seed: 'p',
    });
    expect(paper.public.action).toBe('newton');
    expect(paper.public.release?.guarantee.type).toBe('none');
    expect(paper.private.state.ledger.uncertifiedReleases).toBe(1);
    expect(paper.public.cumulative).toMatchObject({ epsilon: Infinity, method: 'uncertified' });
    expectStateHoldsNoRelease(paper.private.state, paper.public.release!.released.params);
    // A certified request on the poisoned chain cannot claim a finite cumulative ε: retrain.
    const after = await processDeletionRequest(engine, {
      state: paper.private.state,
      dataset: train,
      forgetIds: paper.private.state.remainingIds.slice(0, 5),
      policy: certified,
      seed: 'p2',
    });
    expect(after.public.action).toBe('retrain');
    expect(after.public.reasons).toContain('budget-exceeded');
    expect(after.private.state.ledger.uncertifiedReleases).toBe(0);
    expect(after.public.cumulative.epsilon).toBe(0);
    // Parked instead when retraining is not allowed: still poisoned, nothing released.
    const parked = await processDeletionRequest(engine, {
      state: paper.private.state,
      dataset: train,
      forgetIds: paper.private.state.remainingIds.slice(0, 5),
      policy: { ...certified, retrainAllowed: false },
      seed: 'p3',
    });
    expect(parked.public.action).toBe('needs-retrain');
    expect(parked.public.cumulative.epsilon).toBe(Infinity);
  });

  it("chainFrom 'release': the next request starts from the projected public release", async () => {
    const state = startSequentialChain(model, train.ids);
    const step = await processDeletionRequest(engine, {
      state,
      dataset: train,
      forgetIds: state.remainingIds.slice(0, 5),
      policy: certified,
      seed: 'rel',
      chainFrom: 'release',
    });
    const released = step.public.release!.released.params;
    expect(step.private.state.chainOrigin).toBe('release');
    expect(Array.from(step.private.state.chainParams)).toEqual(
      Array.from(projectToBall(released, recipe.C)),
    );
  });
});
