import { createHash } from 'node:crypto';
import type { TrainingProfile } from '../../domain/model/training-profile';
import { deriveSeed } from '../../domain/random';
import {
  assignRecords,
  checkSisaLayout,
  cumulativeSliceIds,
  planDeletion,
  withoutRecords,
  type SisaAssignment,
  type SisaLayout,
  type SubjectKeyOf,
} from '../../domain/sisa/sisa-plan';
import { unlearningError, EngineErrorCode } from '../errors';
import type { Architecture } from '../model/architecture';
import { selectIds, type Dataset } from '../model/dataset';
import type { EngineTrainingProfile, TrainingRecipe } from '../model/recipe';
import { modelDigest } from '../model/weights-codec';
import type { NumericEngine } from '../ports/numeric-engine';
import type { ProgressCallback } from '../progress';

/*
 * `sisa-shard`: exact unlearning for any architecture (Bourtoule et al., "Machine Unlearning",
 * IEEE S&P 2021; docs/method.md §11, docs/adr/0017-sisa-shard.md). The training set is split by
 * subject into k shards (domain/sisa/sisa-plan.ts), one constituent model per shard, each trained
 * in r slice stages: stage j trains on slices 0..j of its shard, starting from the checkpoint
 * after stage j−1 (the seeded initialisation for j = 0), and a checkpoint is kept after every
 * stage. Deleting records retrains only the shards that held them, from the checkpoint before
 * the first slice that held one; every other constituent keeps its bytes.
 *
 * Exactness: every stage is a deterministic function of (its start checkpoint, its records in
 * assignment order, the recipe and a seed derived from (recipe seed, shard, slice)). The stages
 * before the first affected slice never saw a deleted record, so their checkpoints are exactly
 * those of training the shard from scratch without the records, and the stages replayed from
 * there are that training's stages too: the retrained constituent IS the from-scratch one
 * (bitwise on a deterministic backend; the spec checks it). ε = 0, δ = 0.
 */

export type SisaAggregation = 'mean-softmax' | 'majority-vote';

export interface SisaSettings extends SisaLayout {
  readonly aggregation: SisaAggregation;
}

/** A checkpoint after one slice stage; `params` null when slices 0..j of the shard are empty. */
export interface SisaCheckpoint {
  readonly params: Float32Array | null;
  /** modelDigest of `params`, null when empty. */
  readonly digest: string | null;
  /** Records the stage trained on (slices 0..j). */
  readonly n: number;
  readonly profile: EngineTrainingProfile | null;
}

export interface SisaConstituent {
  readonly shard: number;
  /** r checkpoints; the last is the constituent model. */
  readonly checkpoints: readonly SisaCheckpoint[];
}

/** The whole ensemble. Intermediate checkpoints are PRIVATE (worker's private store). */
export interface SisaEnsemble {
  readonly arch: Architecture;
  readonly recipe: TrainingRecipe;
  readonly settings: SisaSettings;
  /** Training records in training order (the assignment is recomputed from them). */
  readonly recordIds: readonly string[];
  readonly assignment: SisaAssignment;
  readonly constituents: readonly SisaConstituent[];
}

/** A constituent's final model (the last checkpoint). */
export const constituentModel = (c: SisaConstituent): SisaCheckpoint => {
  const last = c.checkpoints[c.checkpoints.length - 1];
  if (!last) throw new Error('constituent without checkpoints');
  return last;
};

/** Digests of the constituents in shard order (null: an empty shard). */
export const constituentDigests = (e: SisaEnsemble): (string | null)[] =>
  e.constituents.map((c) => constituentModel(c).digest);

/**
 * The ensemble digest: SHA-256 (hex) of `lethe.sisa-ensemble/v1`, the aggregation and one line per
 * shard holding its constituent's model digest (`empty` for an empty shard), joined by `\n`. It
 * depends on the constituents' digests only, so it identifies the ensemble whatever file holds it.
 */
export const ensembleDigestOf = (
  aggregation: SisaAggregation,
  digests: readonly (string | null)[],
): string =>
  createHash('sha256')
    .update(['lethe.sisa-ensemble/v1', aggregation, ...digests.map((d) => d ?? 'empty')].join('\n'))
    .digest('hex');

export const ensembleDigest = (e: SisaEnsemble): string =>
  ensembleDigestOf(e.settings.aggregation, constituentDigests(e));

/** Epochs of one slice stage: the recipe's epochs spread over the r stages (at least 1). */
export const epochsPerSlice = (recipe: TrainingRecipe, slices: number): number =>
  Math.max(1, Math.ceil(recipe.epochs / slices));

/** The recipe of stage (shard, slice): its own derived seed, epochs per slice. */
export const stageRecipe = (
  recipe: TrainingRecipe,
  slices: number,
  shard: number,
  slice: number,
): TrainingRecipe => ({
  ...recipe,
  epochs: epochsPerSlice(recipe, slices),
  seed: deriveSeed(recipe.seed, 'sisa', shard, slice),
});

interface ShardRun {
  readonly engine: NumericEngine;
  readonly arch: Architecture;
  readonly recipe: TrainingRecipe;
  readonly data: Dataset;
  readonly assignment: SisaAssignment;
  readonly onProgress?: ProgressCallback;
}

const EMPTY: SisaCheckpoint = { params: null, digest: null, n: 0, profile: null };

/** Stages `from`..r−1 of one shard, continuing from `before` (the checkpoint of stage from−1). */
const trainShardFrom = async (
  run: ShardRun,
  shard: number,
  from: number,
  kept: readonly SisaCheckpoint[],
): Promise<SisaConstituent> => {
  const r = run.assignment.layout.slices;
  const checkpoints = kept.slice(0, from);
  let prev: SisaCheckpoint = from > 0 ? (kept[from - 1] ?? EMPTY) : EMPTY;
  for (let j = from; j < r; j++) {
    const ids = cumulativeSliceIds(run.assignment, shard, j);
    if (ids.length === 0) {
      checkpoints.push(EMPTY);
      prev = EMPTY;
      continue;
    }
    const stage = selectIds(run.data, ids, `${run.data.name}/shard${shard}/slice${j}`);
    const onProgress = run.onProgress;
    const res = await run.engine.train({
      arch: run.arch,
      data: stage,
      recipe: stageRecipe(run.recipe, r, shard, j),
      ...(prev.params ? { initial: prev.params } : {}),
      ...(onProgress
        ? {
            onProgress: (p) => onProgress({ ...p, phase: `shard ${shard} slice ${j}: ${p.phase}` }),
          }
        : {}),
    });
    prev = {
      params: res.params,
      digest: modelDigest(run.arch, res.params),
      n: ids.length,
      profile: res.profile,
    };
    checkpoints.push(prev);
  }
  return { shard, checkpoints };
};

/** Trains the k constituents (each in r slice stages) on `data`, grouped by `subjectOf`. */
export const trainSisa = async (
  engine: NumericEngine,
  opts: {
    readonly arch: Architecture;
    readonly data: Dataset;
    readonly recipe: TrainingRecipe;
    readonly settings: SisaSettings;
    readonly subjectOf: SubjectKeyOf;
    readonly onProgress?: ProgressCallback;
  },
): Promise<SisaEnsemble> => {
  checkSisaLayout(opts.settings);
  const assignment = assignRecords(opts.settings, opts.data.ids, opts.subjectOf);
  const run: ShardRun = {
    engine,
    arch: opts.arch,
    recipe: opts.recipe,
    data: opts.data,
    assignment,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
  const constituents: SisaConstituent[] = [];
  for (let s = 0; s < opts.settings.shards; s++) {
    constituents.push(await trainShardFrom(run, s, 0, []));
  }
  return {
    arch: opts.arch,
    recipe: opts.recipe,
    settings: opts.settings,
    recordIds: [...opts.data.ids],
    assignment,
    constituents,
  };
};

/** What one deletion did to one shard (public: shard index, slices, constituent digests). */
export interface SisaShardChange {
  readonly shard: number;
  /** First slice that held a deleted record; stages fromSlice..r−1 were retrained. */
  readonly fromSlice: number;
  readonly removed: number;
  readonly digestBefore: string | null;
  readonly digestAfter: string | null;
}

export interface SisaUnlearnOutcome {
  readonly ensemble: SisaEnsemble;
  readonly changes: readonly SisaShardChange[];
  readonly ensembleDigestBefore: string;
  readonly ensembleDigestAfter: string;
  readonly wallTimeMs: number;
}

/**
 * Removes `forgetIds` (ids of the ensemble's training set; others are ignored) by retraining only
 * the shards that held them, each from the checkpoint before its first affected slice. `data`
 * must hold every remaining training record.
 */
export const unlearnSisa = async (
  engine: NumericEngine,
  opts: {
    readonly ensemble: SisaEnsemble;
    readonly data: Dataset;
    readonly forgetIds: readonly string[];
    readonly onProgress?: ProgressCallback;
  },
): Promise<SisaUnlearnOutcome> => {
  const t0 = Date.now();
  const e = opts.ensemble;
  const plan = planDeletion(e.assignment, opts.forgetIds);
  const removed = new Set(plan.flatMap((p) => p.forget));
  const assignment = withoutRecords(e.assignment, [...removed]);
  const run: ShardRun = {
    engine,
    arch: e.arch,
    recipe: e.recipe,
    data: opts.data,
    assignment,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
  const constituents = [...e.constituents];
  const changes: SisaShardChange[] = [];
  for (const p of plan) {
    const old = e.constituents[p.shard];
    if (!old) throw new Error(`no constituent for shard ${p.shard}`);
    const next = await trainShardFrom(run, p.shard, p.fromSlice, old.checkpoints);
    constituents[p.shard] = next;
    changes.push({
      shard: p.shard,
      fromSlice: p.fromSlice,
      removed: p.forget.length,
      digestBefore: constituentModel(old).digest,
      digestAfter: constituentModel(next).digest,
    });
  }
  const ensemble: SisaEnsemble = {
    ...e,
    recordIds: e.recordIds.filter((id) => !removed.has(id)),
    assignment,
    constituents,
  };
  return {
    ensemble,
    changes,
    ensembleDigestBefore: ensembleDigest(e),
    ensembleDigestAfter: ensembleDigest(ensemble),
    wallTimeMs: Date.now() - t0,
  };
};

/**
 * The ensemble's class scores, row-major n × classes. `mean-softmax`: the mean of the non-empty
 * constituents' softmax posteriors. `majority-vote`: the fraction of constituents voting each
 * class (argmax; a tie goes to the lowest class index when predicting).
 */
export const sisaScores = (engine: NumericEngine, e: SisaEnsemble, data: Dataset): Float32Array => {
  const classes = data.classes;
  const n = data.labels.length;
  const out = new Float32Array(n * classes);
  const models = e.constituents.map(constituentModel).filter((m) => m.params !== null);
  if (models.length === 0) {
    throw unlearningError(
      EngineErrorCode.InvalidDataset,
      'the SISA ensemble has no trained constituent (every shard is empty)',
      {},
      'validation',
    );
  }
  for (const m of models) {
    const post = engine.posteriors(e.arch, m.params as Float32Array, data);
    for (let i = 0; i < n; i++) {
      if (e.settings.aggregation === 'mean-softmax') {
        for (let c = 0; c < classes; c++) {
          out[i * classes + c] =
            (out[i * classes + c] as number) + (post[i * classes + c] as number);
        }
      } else {
        const at = i * classes + argmaxRow(post, i, classes);
        out[at] = (out[at] as number) + 1;
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / models.length;
  return out;
};

const argmaxRow = (scores: Float32Array, i: number, classes: number): number => {
  let best = 0;
  for (let c = 1; c < classes; c++) {
    if ((scores[i * classes + c] as number) > (scores[i * classes + best] as number)) best = c;
  }
  return best;
};

/** Accuracy of the ensemble's aggregated prediction (NaN when n = 0). */
export const sisaAccuracy = (engine: NumericEngine, e: SisaEnsemble, data: Dataset): number => {
  const n = data.labels.length;
  if (n === 0) return Number.NaN;
  const scores = sisaScores(engine, e, data);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    if (argmaxRow(scores, i, data.classes) === data.labels[i]) correct++;
  }
  return correct / n;
};

/**
 * The ensemble's training profile for the model store: the recipe, `epochs` per slice stage,
 * `dataDigest` = SHA-256 over the constituents' stage data digests (shard order), and the largest
 * final gradient and parameter norms of the constituents.
 */
export const sisaProfile = (e: SisaEnsemble, backend: string): TrainingProfile => {
  const finals = e.constituents.map(constituentModel);
  const profiles = finals.flatMap((f) => (f.profile ? [f.profile] : []));
  return {
    C: e.recipe.C,
    l2: e.recipe.l2,
    loss: 'softmax-cross-entropy',
    lr: e.recipe.learningRate,
    epochs: epochsPerSlice(e.recipe, e.settings.slices),
    batchSize: e.recipe.batchSize,
    seed: e.recipe.seed,
    dataDigest: createHash('sha256')
      .update(finals.map((f) => f.profile?.dataDigest ?? 'empty').join('\n'))
      .digest('hex'),
    finalGradNorm: Math.max(0, ...profiles.map((p) => p.finalGradNorm)),
    backend: profiles[0]?.backend ?? backend,
    architecture: e.arch,
    finalParamNorm: Math.max(0, ...profiles.map((p) => p.finalParamNorm ?? 0)),
  };
};
