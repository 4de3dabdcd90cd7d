import type { BackendInfo } from '../tf/backend';
import { useBackend, backendUnderTest, liveTensors } from '../../../test/tf-test-helpers';
import { gaussianBlobs } from '../data/synthetic';
import { datasetDigest } from '../data/digest';
import { mlp } from '../../application/model/architecture';
import { norm2 } from '../../application/model/flat-vector';
import { evaluate } from '../evaluation/evaluate';
import { trainProjectedAdam } from './train';
import type { Progress } from '../../application/progress';

jest.setTimeout(60_000);

describe(`projected Adam (${backendUnderTest()})`, () => {
  const arch = mlp([8, 16, 3], 'relu');
  const data = gaussianBlobs({ n: 240, dim: 8, classes: 3, seed: 'train', separation: 2.5 });
  const recipe = { C: 20, l2: 5e-4, learningRate: 0.01, epochs: 8, batchSize: 32, seed: 42 };

  let backend: BackendInfo;
  beforeAll(async () => {
    backend = await useBackend();
  });

  it('learns, reports a complete profile and progress, leaks no tensor', async () => {
    const before = liveTensors();
    const events: Progress[] = [];
    const r = await trainProjectedAdam({ arch, data, recipe, onProgress: (p) => events.push(p) });
    expect(liveTensors()).toBe(before);
    expect(evaluate(arch, r.params, data).accuracy).toBeGreaterThan(0.9);
    const p = r.profile;
    expect(p).toMatchObject({
      C: 20,
      l2: 5e-4,
      lr: 0.01,
      epochs: 8,
      batchSize: 32,
      seed: 42,
      loss: 'softmax-cross-entropy',
      backend: backend.label,
      dataDigest: datasetDigest(data),
      trainSize: 240,
      steps: 8 * 8,
      architecture: arch,
    });
    // The L2 coefficient is `l2`; `lambda` is reserved for the unlearning damping λ.
    expect(p).not.toHaveProperty('lambda');
    expect(p.finalGradNorm).toBeGreaterThan(0);
    expect(p.finalParamNorm).toBeCloseTo(norm2(r.params), 4);
    const epochs = events.filter((e) => e.phase === 'train-epoch');
    expect(epochs.map((e) => e.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((epochs[7]?.detail?.['loss'] as number) < (epochs[0]?.detail?.['loss'] as number)).toBe(
      true,
    );
    expect(events.filter((e) => e.phase === 'train')).toHaveLength(64);
  });

  it('is deterministic for a seed and differs for another', async () => {
    const a = await trainProjectedAdam({ arch, data, recipe: { ...recipe, epochs: 2 } });
    const b = await trainProjectedAdam({ arch, data, recipe: { ...recipe, epochs: 2 } });
    const c = await trainProjectedAdam({ arch, data, recipe: { ...recipe, epochs: 2, seed: 43 } });
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    expect(Array.from(a.params)).not.toEqual(Array.from(c.params));
  });

  it('keeps the global parameter norm inside the ball ||w|| <= C after every step', async () => {
    const C = 1.5; // far below the unconstrained solution's norm: the projection is active
    const free = await trainProjectedAdam({ arch, data, recipe: { ...recipe, C: 1e6 } });
    expect(norm2(free.params)).toBeGreaterThan(2 * C);
    const r = await trainProjectedAdam({ arch, data, recipe: { ...recipe, C } });
    expect(norm2(r.params)).toBeLessThanOrEqual(C * (1 + 1e-6));
    expect(norm2(r.params)).toBeGreaterThan(0.99 * C);
  });

  it('refuses invalid recipes with a coded error', async () => {
    await expect(
      trainProjectedAdam({ arch, data, recipe: { ...recipe, C: 0 } }),
    ).rejects.toMatchObject({
      code: 'INVALID_UNLEARNING_SETTINGS',
    });
  });
});
