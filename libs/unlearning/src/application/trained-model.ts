import type { Architecture } from './model/architecture';
import { decodeWeights, encodeWeights, modelDigest } from './model/weights-codec';
import type { NumericEngine } from './ports/numeric-engine';
import type { EngineTrainingProfile, TrainingRecipe } from './model/recipe';
import type { Dataset } from './model/dataset';
import type { ProgressCallback } from './progress';

/** A model Lethe trained (so that the norm-ball guarantee holds), with its digest and profile. */
export interface TrainedModel {
  readonly arch: Architecture;
  readonly params: Float32Array;
  /** SHA-256 of the weights file (see weights-codec.ts). */
  readonly digest: string;
  readonly profile: EngineTrainingProfile;
}

/** Trains from the seeded initialisation with projected Adam. */
export const trainModel = async (
  engine: NumericEngine,
  opts: {
    arch: Architecture;
    data: Dataset;
    recipe: TrainingRecipe;
    onProgress?: ProgressCallback;
  },
): Promise<TrainedModel> => {
  const r = await engine.train(opts);
  return {
    arch: opts.arch,
    params: r.params,
    digest: modelDigest(opts.arch, r.params),
    profile: r.profile,
  };
};

/**
 * Exact unlearning: retrain from scratch on D_r with the same recipe and seed (the reference w~*
 * of the definition; ε = 0). Progress phases are reported as 'retrain…'.
 */
export const retrainModel = async (
  engine: NumericEngine,
  opts: {
    arch: Architecture;
    retain: Dataset;
    recipe: TrainingRecipe;
    onProgress?: ProgressCallback;
  },
): Promise<TrainedModel> =>
  trainModel(engine, {
    arch: opts.arch,
    data: opts.retain,
    recipe: opts.recipe,
    ...(opts.onProgress
      ? {
          onProgress: (p) =>
            opts.onProgress?.({ ...p, phase: p.phase.replace(/^train/, 'retrain') }),
        }
      : {}),
  });

/** Weights file bytes (stable binary layout) of a model's parameters. */
export const saveWeights = (arch: Architecture, params: Float32Array): Uint8Array =>
  encodeWeights(arch, params);

export const loadWeights = (
  bytes: Uint8Array,
): { arch: Architecture; params: Float32Array; digest: string } => {
  const { arch, params } = decodeWeights(bytes);
  return { arch, params, digest: modelDigest(arch, params) };
};
