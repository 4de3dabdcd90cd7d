import { UnlearningError, UnlearningErrorCodes } from '../errors';
import { createRng, permutation, type Seed } from '../random';
import {
  fitLogisticRegression,
  logisticPredict,
  type LogisticSpec,
} from '../reference/logistic-regression';

/**
 * Membership-inference evidence as in the paper's `attack.py` (docs/method.md §8; Chen et al.
 * 2021 "When machine unlearning jeopardizes privacy"): for every record, the softmax posteriors of
 * the ORIGINAL and the UNLEARNED model become one feature vector; a logistic-regression attack is
 * trained to tell D_u (label 1, members that were unlearned) from D_r (label 0); its AUC is the
 * evidence. The TARGET is the AUC of the same attack against the model retrained on D_r (computed
 * by application/evidence.ts when a retrained model is given), not 0.5: an update that changes
 * nothing also scores ≈ 0.5 (the two posteriors are equal), and a perfect retrain scores above 0.5
 * whenever the model generalises worse to D_u than to D_r. Evidence computed with D_u is not
 * covered by the (ε, δ) guarantee: keep it out of anything public.
 *
 * Attack model: L2 logistic regression with an unpenalised intercept on standardised features,
 * objective mean log-loss + (1/(2·C·n))‖w‖² with C = 1 (scikit-learn's default C = 1 rescaled to a
 * mean), fitted by Newton's method (deterministic). Evaluation `train` reproduces the repo (fit and
 * score on the same rows, optimistic); `holdout` splits with a seed and scores unseen rows (Lethe's
 * default for certificates' evidence).
 */
export type MiaFeatureMethod =
  'sorted_concat' | 'direct_concat' | 'direct_diff' | 'sorted_diff' | 'l2_distance';

export interface MiaFeatures {
  /** Row-major [rows × dim]. */
  readonly features: Float64Array;
  readonly dim: number;
}

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.MIA_INVALID_INPUT, message, details);
};

/**
 * Builds attack features from two [rows × classes] posterior matrices.
 * - sorted_concat (repo default): sort the original posterior ascending, reorder the unlearned
 *   posterior by the same permutation, concatenate (2·classes dims);
 * - direct_concat: [original, unlearned]; direct_diff: original − unlearned;
 * - sorted_diff: sorted original − unlearned reordered by the same permutation;
 * - l2_distance: ‖original − unlearned‖₂ (1 dim).
 * (The alternatives follow their names; only sorted_concat was read from the repo in detail.)
 */
export function constructMiaFeatures(
  original: Float64Array,
  unlearned: Float64Array,
  classes: number,
  method: MiaFeatureMethod = 'sorted_concat',
): MiaFeatures {
  if (!Number.isInteger(classes) || classes < 2)
    fail('classes must be an integer >= 2', { classes });
  if (
    original.length !== unlearned.length ||
    original.length % classes !== 0 ||
    original.length === 0
  ) {
    fail('posterior matrices must both be [rows × classes]', {
      original: original.length,
      unlearned: unlearned.length,
      classes,
    });
  }
  const rows = original.length / classes;
  const dim =
    method === 'l2_distance'
      ? 1
      : method === 'direct_diff' || method === 'sorted_diff'
        ? classes
        : 2 * classes;
  const out = new Float64Array(rows * dim);
  const order = Array.from({ length: classes }, (_, j) => j);
  for (let r = 0; r < rows; r++) {
    const o = original.subarray(r * classes, (r + 1) * classes);
    const u = unlearned.subarray(r * classes, (r + 1) * classes);
    const base = r * dim;
    switch (method) {
      case 'sorted_concat':
      case 'sorted_diff': {
        // Stable ascending sort of the original posterior.
        order.sort((a, b) => o[a]! - o[b]! || a - b);
        for (let j = 0; j < classes; j++) {
          const src = order[j]!;
          if (method === 'sorted_concat') {
            out[base + j] = o[src]!;
            out[base + classes + j] = u[src]!;
          } else {
            out[base + j] = o[src]! - u[src]!;
          }
        }
        for (let j = 0; j < classes; j++) order[j] = j;
        break;
      }
      case 'direct_concat':
        out.set(o, base);
        out.set(u, base + classes);
        break;
      case 'direct_diff':
        for (let j = 0; j < classes; j++) out[base + j] = o[j]! - u[j]!;
        break;
      case 'l2_distance': {
        let s = 0;
        for (let j = 0; j < classes; j++) s += (o[j]! - u[j]!) ** 2;
        out[base] = Math.sqrt(s);
        break;
      }
      default:
        fail('unknown feature method', { method });
    }
  }
  return { features: out, dim };
}

/** Column means and population standard deviations (0 → 1), as StandardScaler. */
export function fitStandardizer(
  x: Float64Array,
  dim: number,
): { mean: Float64Array; std: Float64Array } {
  const rows = x.length / dim;
  const mean = new Float64Array(dim);
  const std = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) mean[j]! += x[r * dim + j]! / rows;
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < dim; j++) std[j]! += (x[r * dim + j]! - mean[j]!) ** 2 / rows;
  for (let j = 0; j < dim; j++) std[j] = std[j]! > 0 ? Math.sqrt(std[j]!) : 1;
  return { mean, std };
}

export function applyStandardizer(
  x: Float64Array,
  dim: number,
  s: { mean: Float64Array; std: Float64Array },
): Float64Array {
  const out = new Float64Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const j = k % dim;
    out[k] = (x[k]! - s.mean[j]!) / s.std[j]!;
  }
  return out;
}

/**
 * Area under the ROC curve by the Mann–Whitney U statistic, ties counted ½ (average ranks):
 * AUC = (R₁ − n₁(n₁+1)/2)/(n₁·n₀), R₁ the rank sum of the positives. Labels are 0/1.
 */
export function aucMannWhitney(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) fail('scores and labels must have the same length');
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i]!)) fail('scores must be finite', { index: i });
    if (labels[i] !== 0 && labels[i] !== 1) fail('labels must be 0 or 1', { index: i });
  }
  idx.sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!] === 1) {
        rankSumPos += avgRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0)
    fail('AUC needs both classes', { positives: nPos, negatives: nNeg });
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export type MiaEvaluation =
  | { readonly kind: 'train' }
  | { readonly kind: 'holdout'; readonly testFraction: number; readonly seed: Seed };

export interface MiaInput {
  /** Posteriors [rows × classes] of the original model. */
  readonly originalPosteriors: Float64Array;
  /** Posteriors [rows × classes] of the unlearned model, same rows. */
  readonly unlearnedPosteriors: Float64Array;
  readonly classes: number;
  /** 1 = the row is in D_u (unlearned member), 0 = in D_r. */
  readonly isUnlearned: ArrayLike<number>;
  readonly method?: MiaFeatureMethod;
  /** Default holdout 30 % with seed 0. */
  readonly evaluation?: MiaEvaluation;
  /** Inverse regularisation strength C (default 1, as scikit-learn). */
  readonly inverseRegularisation?: number;
}

export interface MiaResult {
  readonly auc: number;
  /** Accuracy at threshold 0.5 (dominated by the majority class when imbalanced). */
  readonly accuracy: number;
  readonly evaluatedRows: number;
  readonly positives: number;
  readonly negatives: number;
  readonly method: MiaFeatureMethod;
  readonly evaluation: MiaEvaluation['kind'];
  readonly converged: boolean;
}

export function membershipInferenceAttack(input: MiaInput): MiaResult {
  const method = input.method ?? 'sorted_concat';
  const evaluation: MiaEvaluation = input.evaluation ?? {
    kind: 'holdout',
    testFraction: 0.3,
    seed: 0,
  };
  const C = input.inverseRegularisation ?? 1;
  if (!(C > 0) || !Number.isFinite(C)) fail('inverseRegularisation must be > 0', { C });
  const { features, dim } = constructMiaFeatures(
    input.originalPosteriors,
    input.unlearnedPosteriors,
    input.classes,
    method,
  );
  const rows = features.length / dim;
  if (input.isUnlearned.length !== rows)
    fail('isUnlearned must have one label per row', { rows, labels: input.isUnlearned.length });

  let trainIdx: number[];
  let testIdx: number[];
  if (evaluation.kind === 'train') {
    trainIdx = Array.from({ length: rows }, (_, i) => i);
    testIdx = trainIdx;
  } else {
    const f = evaluation.testFraction;
    if (!(f > 0 && f < 1)) fail('testFraction must be in (0, 1)', { testFraction: f });
    // Stratified split: the same fraction of each class goes to the test part.
    const perm = Array.from(permutation(rows, createRng(evaluation.seed)));
    trainIdx = [];
    testIdx = [];
    for (const cls of [0, 1]) {
      const members = perm.filter((i) => input.isUnlearned[i] === cls);
      const nTest = Math.round(members.length * f);
      testIdx.push(...members.slice(0, nTest));
      trainIdx.push(...members.slice(nTest));
    }
  }
  const gather = (idx: number[]): { x: Float64Array; y: number[] } => {
    const x = new Float64Array(idx.length * dim);
    const y: number[] = [];
    idx.forEach((row, k) => {
      x.set(features.subarray(row * dim, (row + 1) * dim), k * dim);
      const label = input.isUnlearned[row];
      if (label !== 0 && label !== 1)
        return fail('isUnlearned labels must be 0 or 1', { row, label });
      y.push(label);
    });
    return { x, y };
  };
  const train = gather(trainIdx);
  const test = gather(testIdx);
  for (const [name, part] of [
    ['train', train],
    ['test', test],
  ] as const) {
    const pos = part.y.reduce((a, b) => a + b, 0);
    if (pos === 0 || pos === part.y.length)
      fail(`the ${name} part needs both D_u and D_r rows`, { rows: part.y.length, positives: pos });
  }
  const scaler = fitStandardizer(train.x, dim);
  const spec: LogisticSpec = { dim, l2: 1 / (C * train.y.length), fitIntercept: true };
  const fit = fitLogisticRegression(
    spec,
    { x: applyStandardizer(train.x, dim, scaler), y: train.y },
    { maxIterations: 100, tolerance: 1e-9 },
  );
  const scores = logisticPredict(spec, fit.theta, applyStandardizer(test.x, dim, scaler));
  let correct = 0;
  for (let i = 0; i < scores.length; i++) if ((scores[i]! >= 0.5 ? 1 : 0) === test.y[i]) correct++;
  const positives = test.y.reduce((a, b) => a + b, 0);
  return {
    auc: aucMannWhitney(scores, test.y),
    accuracy: correct / test.y.length,
    evaluatedRows: test.y.length,
    positives,
    negatives: test.y.length - positives,
    method,
    evaluation: evaluation.kind,
    converged: fit.converged,
  };
}
