import type { Dataset } from './model/dataset';
import { concatDatasets } from './model/dataset';
import type { Evaluation, NumericEngine } from './ports/numeric-engine';
import type { Architecture } from './model/architecture';
import { distance } from './model/flat-vector';
import {
  membershipInferenceAttack,
  type MiaEvaluation,
  type MiaFeatureMethod,
  type MiaResult,
} from '../domain/evidence/mia';
import { createRng } from './model/rng';
import { selectRows } from './model/dataset';
import type { Seed } from '../domain/random';

export interface UnlearningEvidence {
  readonly accuracy: {
    readonly forget: Evaluation;
    readonly retain: Evaluation;
    readonly test?: Evaluation;
  };
  /** ||released − retrained||₂ when a retrained model is given. */
  readonly distanceToRetrained?: number;
  /** ||released − original||₂. */
  readonly distanceToOriginal: number;
  /** The attack against the released model (original vs released posteriors). */
  readonly mia?: MiaResult;
  /**
   * The target: the same attack, on the same rows, against the retrained model (original vs
   * retrained posteriors). A released model forgets as well as retraining when its AUC is close
   * to this one; an AUC near 0.5 alone means nothing (an update that changes nothing scores 0.5).
   */
  readonly miaRetrained?: MiaResult;
}

/**
 * Evidence for a release: accuracy on D_u, D_r and test; distances to the original and (when
 * computed) the retrained model; membership-inference AUC (domain mia.ts, posteriors from tfjs)
 * of an attack telling D_u from a sample of D_r with the original and released posteriors, and,
 * when a retrained model is given, the same attack against it (the target AUC). Evidence computed
 * with D_u is private (not covered by the release's guarantee).
 */
export const collectEvidence = (
  engine: NumericEngine,
  opts: {
    arch: Architecture;
    original: Float32Array;
    released: Float32Array;
    retrained?: Float32Array;
    forget: Dataset;
    retain: Dataset;
    test?: Dataset;
    mia?: {
      readonly method?: MiaFeatureMethod;
      readonly evaluation?: MiaEvaluation;
      /** Cap on the D_r rows used as negatives (default 5 × |D_u|). */
      readonly maxNegatives?: number;
      readonly seed: Seed;
    };
  },
): UnlearningEvidence => {
  const { arch } = opts;
  const accuracy = {
    forget: engine.evaluate(arch, opts.released, opts.forget),
    retain: engine.evaluate(arch, opts.released, opts.retain),
    ...(opts.test ? { test: engine.evaluate(arch, opts.released, opts.test) } : {}),
  };
  let mia: MiaResult | undefined;
  let miaRetrained: MiaResult | undefined;
  if (opts.mia) {
    const nNeg = Math.min(
      opts.retain.labels.length,
      opts.mia.maxNegatives ?? 5 * opts.forget.labels.length,
    );
    const negRows = Array.from(
      createRng(opts.mia.seed).permutation(opts.retain.labels.length).subarray(0, nNeg),
    );
    const rows = concatDatasets(opts.forget, selectRows(opts.retain, negRows), 'mia');
    const isUnlearned = new Uint8Array(rows.labels.length);
    isUnlearned.fill(1, 0, opts.forget.labels.length);
    const originalPosteriors = Float64Array.from(engine.posteriors(arch, opts.original, rows));
    const attack = (unlearned: Float32Array): MiaResult =>
      membershipInferenceAttack({
        originalPosteriors,
        unlearnedPosteriors: Float64Array.from(engine.posteriors(arch, unlearned, rows)),
        classes: rows.classes,
        isUnlearned,
        ...(opts.mia?.method ? { method: opts.mia.method } : {}),
        ...(opts.mia?.evaluation ? { evaluation: opts.mia.evaluation } : {}),
      });
    mia = attack(opts.released);
    if (opts.retrained) miaRetrained = attack(opts.retrained);
  }
  return {
    accuracy,
    distanceToOriginal: distance(opts.released, opts.original),
    ...(opts.retrained ? { distanceToRetrained: distance(opts.released, opts.retrained) } : {}),
    ...(mia ? { mia } : {}),
    ...(miaRetrained ? { miaRetrained } : {}),
  };
};
