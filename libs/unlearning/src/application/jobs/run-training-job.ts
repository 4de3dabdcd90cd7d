import { ModelId, type TrainingJobDataV1 } from '@lethe/shared';
import type { TrainingProfile } from '../../domain/model/training-profile';
import type { EngineTrainingProfile } from '../model/recipe';
import { asReleasedWeights } from '../ports/model-store.port';
import { sealPrivateChainState } from '../ports/private-chain-store.port';
import { startSequentialChain } from '../sequential';
import { serializeSequentialState } from '../sequential-store';
import { saveWeights, trainModel } from '../trained-model';
import { convexCalibration, keepConvexFactor, trainConvexModel } from '../convex/convex-newton';
import { encodeKeptFactor } from '../convex/factor-codec';
import { sealPrivateFactor } from '../ports/private-chain-store.port';
import type { Architecture } from '../model/architecture';
import type { Dataset } from '../model/dataset';
import { datasetDigest } from '../model/dataset-digest';
import { addReleaseNoise } from '../model/noise';
import { modelDigest, sha256Hex } from '../model/weights-codec';
import { sisaAccuracy, sisaProfile, trainSisa } from '../sisa/sisa';
import { encodeSisaEnsemble, serializeSisaState } from '../sisa/sisa-codec';
import { subjectKeyOf } from '../../domain/sisa/sisa-plan';
import { parameterCount } from '../../domain/model/training-profile';
import type { JobDependencies } from './job-context';
import { loadJobData, qualifiedId } from './job-data';
import { JobError, JobErrorCode } from './job-errors';
import type { StagedTraining } from './job-ports';
import {
  architectureFor,
  convexSolverFor,
  modelKindOf,
  parseJobProfile,
  recipeFor,
  type JobProfile,
} from './job-profile';
import { noSpans, type JobSpans } from './job-spans';
import type { ProgressReporter } from './progress-reporter';

/** The domain profile the model store keeps (no engine detail such as wall time). */
export const storedProfile = (p: EngineTrainingProfile | TrainingProfile): TrainingProfile => ({
  C: p.C,
  l2: p.l2,
  loss: p.loss,
  lr: p.lr,
  epochs: p.epochs,
  batchSize: p.batchSize,
  seed: p.seed,
  dataDigest: p.dataDigest,
  finalGradNorm: p.finalGradNorm,
  backend: p.backend,
  architecture: p.architecture,
  ...(p.finalParamNorm !== undefined ? { finalParamNorm: p.finalParamNorm } : {}),
});

/**
 * Trains the model's first version (docs/adr/0009-unlearning-worker.md): read the datasets
 * through the DatasetSource port (erased records excluded), train with projected Adam under the
 * validated profile, and return the effect to stage: the released weights, the private chain
 * state (k = 0, the training record ids) and public metrics. Nothing is stored here.
 */
export const computeTraining = async (
  deps: JobDependencies,
  job: TrainingJobDataV1,
  progress: ProgressReporter,
  spans: JobSpans = noSpans(),
): Promise<StagedTraining> => {
  const profile = parseJobProfile(job.profile);
  const existing = await deps.modelStore.getVersion(ModelId(job.modelId), job.version);
  if (existing) {
    throw new JobError(
      JobErrorCode.STALE_BASE_VERSION,
      `version ${job.version} of ${job.modelId} exists already and was not made by this job`,
      { modelId: job.modelId, version: job.version },
    );
  }
  progress.stage('loading');
  const { data, shape } = await spans.time('data', () =>
    loadJobData(
      deps.sources,
      {
        datasets: job.datasets,
        exclude: new Set((job.excludedRecords ?? []).map(qualifiedId)),
        name: `${job.modelId}/v${job.version}`,
      },
      deps.dataCache ? { cache: deps.dataCache, modelId: job.modelId } : undefined,
    ),
  );
  const have = new Set(data.ids);
  const missing = job.records.map(qualifiedId).filter((q) => !have.has(q));
  if (missing.length > 0) {
    throw new JobError(
      JobErrorCode.RECORD_NOT_FOUND,
      `${missing.length} record(s) named by the job are not in its datasets`,
      { missing: missing.slice(0, 20) },
    );
  }
  const arch = architectureFor(profile, shape);
  const kind = modelKindOf(profile);
  if (kind === 'convex')
    return spans.time('compute', () => trainConvex(deps, job, profile, data, progress));
  if (kind === 'sisa')
    return spans.time('compute', () => trainSisaEnsemble(deps, job, profile, data, arch, progress));
  const t0 = spans.now();
  const model = await trainModel(deps.engine, {
    arch,
    data,
    recipe: recipeFor(profile, job.modelId),
    onProgress: progress.onProgress,
  });
  progress.stage('evaluating');
  const evaluation = deps.engine.evaluate(arch, model.params, data);
  const state = startSequentialChain(model, data.ids);
  const serialized = serializeSequentialState(state);
  spans.add('compute', spans.now() - t0);
  return {
    kind: 'training',
    jobId: job.jobId,
    modelId: job.modelId,
    version: job.version,
    released: saveWeights(arch, model.params),
    digest: model.digest,
    trainingProfile: storedProfile(model.profile),
    chain: { meta: serialized.meta, weights: serialized.weights },
    profile,
    metrics: {
      trainRecords: data.ids.length,
      trainAccuracy: evaluation.accuracy,
      trainLoss: evaluation.loss,
      epochs: model.profile.epochs,
      parameterCount: model.profile.parameterCount,
    },
  };
};

/**
 * convex-newton (docs/method.md §10): Newton from w = 0 until ‖∇F(w)‖/λ ≤ τ; the noise-free
 * solution w* is the PRIVATE chain start, the public version is w* + N(0, σ²I) with σ calibrated
 * to Δ = 2τ for the policy's target, the same mechanism as every later release.
 */
const trainConvex = async (
  deps: JobDependencies,
  job: TrainingJobDataV1,
  profile: JobProfile,
  data: Dataset,
  progress: ProgressReporter,
): Promise<StagedTraining> => {
  const solver = convexSolverFor(profile, (data.dim + 1) * data.classes);
  const model = await trainConvexModel(deps.engine, {
    data,
    l2: profile.recipe.l2,
    solver,
    dataDigest: datasetDigest(data),
    onProgress: progress.onProgress,
  });
  const cal = convexCalibration(model.arch, profile.recipe.l2, {
    epsilon: profile.policy.target.epsilon,
    delta: profile.policy.target.delta,
    solver,
  });
  const released = addReleaseNoise(model.params, cal.sigma);
  const digest = modelDigest(model.arch, released);
  progress.stage('evaluating');
  const evaluation = deps.engine.evaluate(model.arch, released, data);
  const state = { ...startSequentialChain(model, data.ids), previousReleaseDigest: digest };
  const serialized = serializeSequentialState(state);
  // The kept factor of D at w* (one-off, here rather than in the first request): private.
  const factor =
    solver.keptFactor === true
      ? keepConvexFactor(model.params, data, profile.recipe.l2)
      : undefined;
  const keptFactor = factor
    ? sealPrivateFactor(encodeKeptFactor(factor, state.chainDigest))
    : undefined;
  // Also in worker memory for the model's first request (bound to this chain state's digest: a
  // version stored from another computation does not match it).
  if (factor) deps.factorCache?.set(job.modelId, job.version, state.chainDigest, factor);
  return {
    kind: 'training',
    jobId: job.jobId,
    modelId: job.modelId,
    version: job.version,
    released: saveWeights(model.arch, released),
    digest,
    trainingProfile: storedProfile(model.profile),
    chain: { meta: serialized.meta, weights: serialized.weights },
    ...(keptFactor ? { keptFactor } : {}),
    profile,
    metrics: {
      trainRecords: data.ids.length,
      // Of the noisy release (the public model), not of the private solution.
      trainAccuracy: evaluation.accuracy,
      trainLoss: evaluation.loss,
      newtonSteps: model.profile.epochs,
      parameterCount: model.profile.parameterCount,
      sigma: cal.sigma,
    },
  };
};

/**
 * sisa-shard (docs/method.md §11): k constituents trained by subject shard, r slice stages each.
 * The public version is the ensemble file (constituents only); the slice checkpoints and the
 * record ids go to the private store with the assignment key.
 */
const trainSisaEnsemble = async (
  deps: JobDependencies,
  job: TrainingJobDataV1,
  profile: JobProfile,
  data: Dataset,
  arch: Architecture,
  progress: ProgressReporter,
): Promise<StagedTraining> => {
  const sisa = profile.policy.sisa;
  if (!sisa) throw new Error('sisa profile without policy.sisa (the schema requires it)');
  const recipe = recipeFor(profile, job.modelId);
  const ensemble = await trainSisa(deps.engine, {
    arch,
    data,
    recipe,
    settings: {
      shards: sisa.shards,
      slices: sisa.slices,
      aggregation: sisa.aggregation,
      key: recipe.seed,
    },
    subjectOf: subjectKeyOf(sisa.subjectKey),
    onProgress: progress.onProgress,
  });
  const released = encodeSisaEnsemble(ensemble);
  const digest = sha256Hex(released);
  progress.stage('evaluating');
  const state = serializeSisaState({
    ensemble,
    subjectKey: sisa.subjectKey,
    k: 0,
    releaseDigest: digest,
  });
  return {
    kind: 'training',
    jobId: job.jobId,
    modelId: job.modelId,
    version: job.version,
    released,
    digest,
    trainingProfile: sisaProfile(ensemble, deps.engine.backend()),
    chain: state,
    profile,
    metrics: {
      trainRecords: data.ids.length,
      trainAccuracy: sisaAccuracy(deps.engine, ensemble, data),
      shards: sisa.shards,
      slices: sisa.slices,
      emptyShards: ensemble.constituents.filter((c) => c.checkpoints.at(-1)?.params === null)
        .length,
      parameterCount: parameterCount(arch) * sisa.shards,
    },
  };
};

/** Stores a staged training effect; every step is idempotent (a rerun after a crash is safe). */
export const applyTraining = async (deps: JobDependencies, e: StagedTraining): Promise<void> => {
  const modelId = ModelId(e.modelId);
  await deps.journal.putModelProfile(e.modelId, e.profile);
  await deps.modelStore.putVersion({
    modelId,
    version: e.version,
    weights: asReleasedWeights(e.released),
    parentDigest: null,
    trainingProfile: e.trainingProfile,
  });
  // Before the chain state: once the state is stored its factor is there too (unless a crash came
  // in between; then the first request rebuilds it).
  if (e.keptFactor) await deps.chainStore.putFactor(modelId, e.version, e.keptFactor);
  await deps.chainStore.put(modelId, e.version, sealPrivateChainState(e.chain));
};
