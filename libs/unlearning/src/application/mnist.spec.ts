import { engine, useBackend, backendUnderTest } from '../../test/tf-test-helpers';
import type { BackendInfo } from '../infrastructure/tf/backend';
import { loadMnist } from '../infrastructure/data/mnist';
import { trainTestSplit } from '../infrastructure/data/split';
import { selectRows, withoutIds } from './model/dataset';
import { mlp, paperMnistMlp } from './model/architecture';
import { evaluate } from '../infrastructure/evaluation/evaluate';
import { norm2 } from './model/flat-vector';
import { trainModel, retrainModel, type TrainedModel } from './trained-model';
import type { MeasuredConstants } from './ports/numeric-engine';
import { unlearn } from './unlearn';
import { collectEvidence } from './evidence';
import { processDeletionRequest, startSequentialChain } from './sequential';

jest.setTimeout(180_000);

/**
 * The paper's MNIST MLP (784-32-32-10, ReLU) on 2,000 real digits. D_u is class-coherent (every
 * "7" of the training subset, one subject's records), so that the retrained model's accuracy on
 * D_u is far from the original's and the Newton step's movement is measurable. (With a random D_u
 * of a memorising net the single damped step barely moves D_u accuracy; see the README.)
 */
describe(`MNIST end to end (${backendUnderTest()})`, () => {
  const arch = paperMnistMlp();
  const recipe = { C: 20, l2: 5e-4, learningRate: 3e-3, epochs: 5, batchSize: 64, seed: 7 };
  const { train, test } = trainTestSplit(loadMnist(), { testSize: 1000, seed: 1, trainSize: 2000 });
  const sevens: number[] = [];
  train.labels.forEach((y, i) => {
    if (y === 7) sevens.push(i);
  });
  const forget = selectRows(train, sevens, 'mnist/forget');
  const retain = withoutIds(train, forget.ids, 'mnist/retain');
  let original: TrainedModel;
  let retrained: TrainedModel;
  let constants: MeasuredConstants;
  const lambda = 1;

  let backend: BackendInfo;

  beforeAll(async () => {
    backend = await useBackend();
    original = await trainModel(engine, { arch, data: train, recipe });
    retrained = await retrainModel(engine, { arch, retain, recipe });
    constants = await engine.measureConstants({
      arch,
      params: original.params,
      retain,
      l2: recipe.l2,
      damping: lambda,
      settings: { seed: 1, iterations: 15, minibatchSamples: 3, batchSize: 50 },
    });
  });

  it('trains inside the ball with record ids kept', () => {
    expect(forget.ids.every((id) => id.startsWith('mnist-'))).toBe(true);
    expect(forget.labels.length).toBeGreaterThan(150);
    expect(norm2(original.params)).toBeLessThanOrEqual(recipe.C * (1 + 1e-6));
    expect(original.profile.backend).toBe(backend.label);
    expect(evaluate(arch, original.params, test).accuracy).toBeGreaterThan(0.8);
  });

  it('a LiSSA Newton step moves accuracy on D_u toward the retrained model, keeping D_r', async () => {
    const out = await unlearn(engine, {
      start: { arch, params: original.params, recipe },
      data: train,
      forgetIds: forget.ids,
      mode: 'paper-experiment',
      sigma: 1e-3,
      seed: 'mnist',
      newton: {
        form: 'nonconvergence',
        damping: lambda,
        inverse: {
          kind: 'lissa',
          settings: { chains: 1, depth: 200, scale: constants.suggestedScale, batchSize: 50 },
        },
      },
    });
    const acc = (w: Float32Array) => ({
      forget: evaluate(arch, w, forget).accuracy,
      retain: evaluate(arch, w, retain).accuracy,
      test: evaluate(arch, w, test).accuracy,
    });
    const before = acc(original.params);
    const after = acc(out.public.released.params);
    const reference = acc(retrained.params);
    expect(reference.forget).toBeLessThan(0.05); // the retrained model never saw a 7
    expect(before.forget).toBeGreaterThan(0.8);
    expect(after.forget).toBeLessThan(before.forget - 0.03); // falls toward the retrained model
    expect(after.forget).toBeGreaterThan(reference.forget);
    expect(after.retain).toBeGreaterThan(before.retain - 0.02); // without hurting D_r
    expect(after.test).toBeGreaterThan(before.test - 0.05);

    const evidence = collectEvidence(engine, {
      arch,
      original: original.params,
      released: out.public.released.params,
      retrained: retrained.params,
      forget,
      retain,
      test,
      mia: { seed: 1 },
    });
    expect(evidence.accuracy.forget.accuracy).toBeCloseTo(after.forget, 10);
    expect(evidence.distanceToRetrained).toBeGreaterThan(0);
    expect(evidence.mia!.auc).toBeGreaterThanOrEqual(0);
    expect(evidence.mia!.auc).toBeLessThanOrEqual(1);
    expect(out.public.backend).toBe(backend.label);
  });

  it("certified mode refuses the paper's ReLU MLP (no finite M); on the tanh MLP the worst-case σ breaks the floor, so the policy retrains", async () => {
    const certifiedPolicy = (newtonScale: number) =>
      ({
        mode: 'certified',
        newton: {
          form: 'nonconvergence',
          damping: lambda,
          inverse: {
            kind: 'lissa',
            settings: { chains: 1, depth: 50, scale: newtonScale, batchSize: 50 },
          },
        },
        certification: { M: 1, lambdaMin: -0.9, G: 5, solverTolerance: 1 },
        constantsSettings: { iterations: 30, hessianSampleSize: 500 },
        target: { epsilon: 1, delta: 1e-5 },
        cumulativeBudget: { epsilon: 10, delta: 1e-3 },
        accuracyFloor: 0.5,
        retrainAllowed: true,
      }) as const;
    const relu = processDeletionRequest(engine, {
      state: startSequentialChain(original, train.ids),
      dataset: train,
      forgetIds: forget.ids,
      policy: certifiedPolicy(constants.suggestedScale),
      validation: test,
      seed: 'mnist-seq',
    });
    await expect(relu).rejects.toMatchObject({ code: 'INVALID_UNLEARNING_SETTINGS' });

    const tanh = mlp([784, 32, 32, 10], 'tanh');
    const smooth = await trainModel(engine, { arch: tanh, data: train, recipe });
    const step = await processDeletionRequest(engine, {
      state: startSequentialChain(smooth, train.ids),
      dataset: train,
      forgetIds: forget.ids,
      policy: certifiedPolicy(constants.suggestedScale),
      validation: test,
      seed: 'mnist-seq',
    });
    expect(step.public.action).toBe('retrain');
    expect(step.public.release?.guarantee.type).toBe('exact');
    expect(step.public.reasons).toEqual(['private-check-failed', 'retrain-instead']);
    expect(step.private.decision.reasons.join(' ')).toMatch(
      /below the floor|no valid certified bound/,
    );
    expect(evaluate(tanh, step.public.release!.released.params, forget).accuracy).toBeLessThan(
      0.05,
    );
  });
});
