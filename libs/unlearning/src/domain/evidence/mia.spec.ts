import { isUnlearningError } from '../errors';
import { createRng, GaussianSampler, type Rng } from '../random';
import { aucMannWhitney, constructMiaFeatures, membershipInferenceAttack } from './mia';

const K = 10;

function softmaxRow(logits: number[]): number[] {
  const m = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** A confident posterior on a random class: logits N(0,1) with +scale on the "true" class. */
function posterior(rng: Rng, g: GaussianSampler, scale: number): number[] {
  const c = rng.nextInt(K);
  return softmaxRow(Array.from({ length: K }, (_, j) => g.next() + (j === c ? scale : 0)));
}

function synthetic(nU: number, nR: number, seed: number, unlearnedChangesMembers: boolean) {
  const rng = createRng(seed);
  const g = new GaussianSampler(rng);
  const orig: number[] = [];
  const unl: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < nU + nR; i++) {
    const member = i < nU ? 1 : 0;
    const o = posterior(rng, g, 6);
    // Members: the unlearned model's confidence collapses (it forgot them); others: tiny jitter.
    const u =
      member === 1 && unlearnedChangesMembers
        ? softmaxRow(o.map((p) => Math.log(p) / 4 + 0.3 * g.next()))
        : softmaxRow(o.map((p) => Math.log(p) + 0.05 * g.next()));
    orig.push(...o);
    unl.push(...u);
    labels.push(member);
  }
  return {
    originalPosteriors: new Float64Array(orig),
    unlearnedPosteriors: new Float64Array(unl),
    isUnlearned: labels,
  };
}

describe('AUC (Mann–Whitney with ties)', () => {
  it('matches hand-computed values', () => {
    expect(aucMannWhitney([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 15);
    expect(aucMannWhitney([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(aucMannWhitney([1, 2, 3, 4], [1, 1, 0, 0])).toBe(0);
    expect(aucMannWhitney([0.5, 0.5, 0.5], [0, 1, 0])).toBe(0.5);
    // one tie between a positive and a negative counts 1/2: pairs (p=0.5 vs n=0.5) = 0.5, (p=0.5 vs n=0.1) = 1
    expect(aucMannWhitney([0.1, 0.5, 0.5], [0, 0, 1])).toBeCloseTo(0.75, 15);
  });

  it('needs both classes', () => {
    let caught: unknown;
    try {
      aucMannWhitney([1, 2], [1, 1]);
    } catch (e) {
      caught = e;
    }
    expect(isUnlearningError(caught, 'MIA_INVALID_INPUT')).toBe(true);
  });
});

describe('MIA features', () => {
  it('sorted_concat sorts the original ascending and reorders the unlearned the same way', () => {
    const o = new Float64Array([0.5, 0.2, 0.3]);
    const u = new Float64Array([0.1, 0.7, 0.2]);
    const { features, dim } = constructMiaFeatures(o, u, 3);
    expect(dim).toBe(6);
    expect(Array.from(features)).toEqual([0.2, 0.3, 0.5, 0.7, 0.2, 0.1]);
    expect(
      Array.from(constructMiaFeatures(o, u, 3, 'direct_diff').features).map((v) => +v.toFixed(12)),
    ).toEqual([0.4, -0.5, 0.1]);
    expect(constructMiaFeatures(o, u, 3, 'l2_distance').features[0]).toBeCloseTo(
      Math.sqrt(0.16 + 0.25 + 0.01),
      14,
    );
  });
});

describe('membershipInferenceAttack', () => {
  it('separable: the unlearned model forgot D_u visibly → AUC ≈ 1', () => {
    const r = membershipInferenceAttack({ ...synthetic(300, 1500, 1, true), classes: K });
    expect(r.evaluation).toBe('holdout');
    expect(r.positives).toBe(90);
    expect(r.auc).toBeGreaterThan(0.97);
  });

  it('inseparable: D_u and D_r look the same → AUC ≈ 0.5 on held-out rows', () => {
    const r = membershipInferenceAttack({
      ...synthetic(1000, 1000, 2, false),
      classes: K,
      evaluation: { kind: 'holdout', testFraction: 0.5, seed: 3 },
    });
    expect(r.evaluatedRows).toBe(1000);
    expect(Math.abs(r.auc - 0.5)).toBeLessThan(0.06);
  });

  it('repo-faithful train evaluation on imbalanced, inseparable data stays near 0.5 (mild optimism)', () => {
    const r = membershipInferenceAttack({
      ...synthetic(100, 2000, 4, false),
      classes: K,
      evaluation: { kind: 'train' },
    });
    expect(r.evaluatedRows).toBe(2100);
    expect(r.auc).toBeGreaterThan(0.4);
    expect(r.auc).toBeLessThan(0.65);
    expect(r.accuracy).toBeGreaterThan(0.9); // majority class
  });

  it('is deterministic for a seed', () => {
    const data = { ...synthetic(200, 600, 5, true), classes: K };
    expect(membershipInferenceAttack(data)).toEqual(membershipInferenceAttack(data));
  });

  it('rejects mismatched inputs with MIA_INVALID_INPUT', () => {
    const data = synthetic(10, 10, 6, false);
    let caught: unknown;
    try {
      membershipInferenceAttack({ ...data, isUnlearned: data.isUnlearned.slice(1), classes: K });
    } catch (e) {
      caught = e;
    }
    expect(isUnlearningError(caught, 'MIA_INVALID_INPUT')).toBe(true);
  });
});
