import { engine, useBackend } from '../../test/tf-test-helpers';
import { fitConvexOptimum } from '../../test/convex-fixtures';
import { logisticData } from '../infrastructure/data/synthetic';
import { forgetRetainSplit } from '../infrastructure/data/split';
import { logisticRegression } from './model/architecture';
import { collectEvidence } from './evidence';

jest.setTimeout(60_000);

describe('collectEvidence: the MIA target is the retrained model’s AUC', () => {
  const data = logisticData({ n: 300, dim: 4, seed: 'evidence', maxNorm: 1.5, signal: 5 });
  const { forget, retain } = forgetRetainSplit(data, { forgetCount: 30, seed: 2 });
  const arch = logisticRegression(4, 2);

  it('reports the attack against the retrained model on the same rows, and only when one is given', async () => {
    await useBackend('wasm');
    const original = (await fitConvexOptimum(data, 0.01)).params;
    const retrained = (await fitConvexOptimum(retain, 0.01)).params;
    const released = Float32Array.from(retrained, (x) => x + 0.05);
    const mia = { seed: 7 };
    const ev = collectEvidence(engine, {
      arch,
      original,
      released,
      retrained,
      forget,
      retain,
      mia,
    });
    expect(ev.miaRetrained).toBeDefined();
    expect(ev.miaRetrained!.auc).toBeGreaterThanOrEqual(0);
    expect(ev.miaRetrained!.auc).toBeLessThanOrEqual(1);
    // Releasing the retrained model itself scores exactly the target.
    const same = collectEvidence(engine, {
      arch,
      original,
      released: retrained,
      retrained,
      forget,
      retain,
      mia,
    });
    expect(same.mia!.auc).toBe(same.miaRetrained!.auc);
    expect(same.miaRetrained!.auc).toBe(ev.miaRetrained!.auc);
    // Without a retrained model there is no target (and no pretended one).
    const none = collectEvidence(engine, { arch, original, released, forget, retain, mia });
    expect(none.miaRetrained).toBeUndefined();
    expect(none.mia!.auc).toBe(ev.mia!.auc);
  });
});
