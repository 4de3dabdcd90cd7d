import { CertificateId, ModelId, type UnlearningJobDataV1 } from '@lethe/shared';
import type { CertificatePayload } from '@lethe/audit/domain/certificate/certificate-payload';
import { cumulativeGuarantee } from '../../domain/privacy/accountant';
import { withoutIds } from '../model/dataset';
import { asReleasedWeights } from '../ports/model-store.port';
import { sealPrivateChainState } from '../ports/private-chain-store.port';
import { processDeletionRequest, type SequentialState } from '../sequential';
import { deserializeSequentialState, serializeSequentialState } from '../sequential-store';
import { saveWeights } from '../trained-model';
import {
  certificateIdOf,
  noOpCertificate,
  releaseCertificate,
  type CertificateContext,
} from './certificate';
import { isoSeconds, type JobDependencies } from './job-context';
import { loadJobData, qualifiedId } from './job-data';
import { JobError, JobErrorCode } from './job-errors';
import type { StagedUnlearning } from './job-ports';
import { parseJobProfile, sequentialPolicyFor, type JobProfile } from './job-profile';
import type { ProgressReporter } from './progress-reporter';
import { storedProfile } from './run-training-job';

/** The job ended without an effect: the policy parks the request (nothing released). */
export interface NeedsRetrain {
  readonly kind: 'needs-retrain';
  readonly code: string;
  readonly reason: string;
}

interface Base {
  readonly state: SequentialState;
  readonly digest: string;
}

/** The base version, its private chain state, and that the two belong together. */
const loadBase = async (deps: JobDependencies, job: UnlearningJobDataV1): Promise<Base> => {
  const modelId = ModelId(job.modelId);
  const record = await deps.modelStore.getVersion(modelId, job.baseVersion);
  if (!record) {
    throw new JobError(
      JobErrorCode.BASE_VERSION_NOT_FOUND,
      `version ${job.baseVersion} of ${job.modelId} is not in the model store`,
      { modelId: job.modelId, version: job.baseVersion },
    );
  }
  if (await deps.modelStore.getVersion(modelId, job.baseVersion + 1)) {
    throw new JobError(
      JobErrorCode.STALE_BASE_VERSION,
      `version ${job.baseVersion + 1} of ${job.modelId} exists already: the job's base is stale`,
      { modelId: job.modelId, baseVersion: job.baseVersion },
    );
  }
  const sealed = await deps.chainStore.get(modelId, job.baseVersion);
  const state = sealed ? deserializeSequentialState(sealed) : null;
  // The chain state behind a version is the trained model (k = 0) or the state whose noisy
  // release is that version.
  const releaseDigest = state
    ? state.k === 0
      ? state.chainDigest
      : state.previousReleaseDigest
    : null;
  if (!state || releaseDigest !== record.digest) {
    throw new JobError(
      JobErrorCode.CHAIN_STATE_NOT_FOUND,
      `no private chain state behind version ${job.baseVersion} of ${job.modelId}`,
      { modelId: job.modelId, version: job.baseVersion },
    );
  }
  return { state, digest: record.digest };
};

/**
 * The certificate step this job takes on the model's chain: the next index, claimed write-once
 * for the job (docs/adr/0009-unlearning-worker.md), and the previous certificate's JWS.
 */
const claimStep = async (
  deps: JobDependencies,
  job: UnlearningJobDataV1,
): Promise<{ index: number; previous: string | null }> => {
  const last = await deps.journal.lastStep(job.modelId);
  const busy = (holder: string) =>
    new JobError(
      JobErrorCode.MODEL_BUSY,
      `certificate step of ${job.modelId} is held by another job (${holder})`,
      { modelId: job.modelId },
    );
  const previousOf = async (jobId: string): Promise<string> => {
    const e = await deps.journal.staged(jobId);
    if (e?.kind !== 'unlearning') throw busy(jobId);
    return e.certificate;
  };
  let index: number;
  if (last && last.jobId === job.jobId) {
    // Claimed by this job before a crash (or by a twin delivery on another worker): take it.
    index = last.index;
  } else {
    // The last step must have its certificate before the chain moves on.
    if (last) await previousOf(last.jobId);
    index = (last?.index ?? 0) + 1;
    const holder = await deps.journal.claimStep(job.modelId, index, job.jobId);
    if (holder !== job.jobId) throw busy(holder);
  }
  const prevHolder = index > 1 ? await deps.journal.stepHolder(job.modelId, index - 1) : null;
  if (index > 1 && !prevHolder) throw busy('none');
  const previous = prevHolder ? await previousOf(prevHolder) : null;
  return { index, previous };
};

/**
 * Computes an unlearning job's effect: D_r = the base version's training records minus the job's
 * records; the engine's certified step under the model's policy (`newton-lissa`, the honesty
 * gate runs inside the engine on every certified result), falling back to `retrain` or parking
 * the job as needs-retrain; a `no-op` certificate when no record of the job was trained on.
 * The certificate is built from the engine's PUBLIC step only and signed here. Nothing is
 * stored but the step claim (released again when no effect results).
 */
export const computeUnlearning = async (
  deps: JobDependencies,
  job: UnlearningJobDataV1,
  progress: ProgressReporter,
): Promise<StagedUnlearning | NeedsRetrain> => {
  const trained = await deps.journal.modelProfile(job.modelId);
  if (!trained) {
    throw new JobError(
      JobErrorCode.CHAIN_STATE_NOT_FOUND,
      `model ${job.modelId} was not trained by this worker (no profile in its journal)`,
      { modelId: job.modelId },
    );
  }
  const profile = profileForJob(trained, job);
  progress.stage('loading');
  const base = await loadBase(deps, job);
  const { index, previous } = await claimStep(deps, job);
  try {
    const remaining = new Set(base.state.remainingIds);
    const forget = [...new Set(job.records.map(qualifiedId))].filter((q) => remaining.has(q));
    const ctx = (versionAfter: number, digestAfter: string): CertificateContext => ({
      certificateId: certificateIdOf(job.jobId),
      issuedAt: isoSeconds(deps.clock()),
      requestIds: job.requestIds,
      subjectRefs: job.subjectRefs,
      model: {
        modelId: job.modelId,
        versionBefore: job.baseVersion,
        versionAfter,
        digestBefore: base.digest,
        digestAfter,
      },
      index,
      previousCertificate: previous,
      producer: { workerId: deps.workerId, codeVersion: deps.codeVersion },
    });
    if (forget.length === 0) {
      progress.stage('signing');
      const payload = noOpCertificate(
        ctx(job.baseVersion, base.digest),
        cumulativeGuarantee(base.state.ledger),
        deps.engine.backend(),
      );
      return await staged(deps, job, index, payload, profile, null);
    }
    const { data } = await loadJobData(deps.sources, {
      datasets: requireDatasets(job),
      exclude: new Set(),
      only: remaining,
      name: `${job.modelId}/v${job.baseVersion}`,
    });
    if (data.ids.length !== remaining.size) {
      throw new JobError(
        JobErrorCode.RECORD_NOT_FOUND,
        `${remaining.size - data.ids.length} training record(s) of version ${job.baseVersion} are no longer in the dataset sources`,
        { modelId: job.modelId, version: job.baseVersion },
      );
    }
    const step = await processDeletionRequest(deps.engine, {
      state: base.state,
      dataset: data,
      forgetIds: forget,
      policy: sequentialPolicyFor(profile),
      // The accuracy floor is checked on the remaining training data D_r (a private check).
      validation: withoutIds(data, forget, `${data.name}/validation`),
      seed: `job:${job.jobId}`,
      onProgress: progress.onProgress,
    });
    const release = step.public.release;
    if (step.public.action === 'needs-retrain' || !release) {
      await deps.journal.releaseStep(job.modelId, index, job.jobId);
      return {
        kind: 'needs-retrain',
        code: JobErrorCode.NEEDS_RETRAIN,
        reason: `the certified update cannot honour the model's policy and retraining is not allowed (${step.public.reasons.join(', ')})`,
      };
    }
    progress.stage('signing');
    const payload = releaseCertificate(
      ctx(job.baseVersion + 1, release.released.digest),
      step.public,
    );
    const next = serializeSequentialState(step.private.state);
    return await staged(deps, job, index, payload, profile, {
      released: saveWeights(base.state.arch, release.released.params),
      trainingProfile: storedProfile(step.private.state.profile),
      chain: { meta: next.meta, weights: next.weights },
    });
  } catch (e) {
    await deps.journal.releaseStep(job.modelId, index, job.jobId).catch(() => undefined);
    throw e;
  }
};

/**
 * The profile this job runs under: the model's trained profile, with the policy the job carries
 * (the model's current policy, `PUT /v1/models/:id/policy`) validated again here with the same
 * schema; a job without one runs under the trained policy. A policy the schema refuses fails the
 * job with JOB_INVALID_PROFILE (not retryable) before anything is read or claimed.
 */
export const profileForJob = (trained: JobProfile, job: UnlearningJobDataV1): JobProfile =>
  job.policy === undefined
    ? trained
    : parseJobProfile({
        architecture: trained.architecture,
        recipe: trained.recipe,
        policy: job.policy,
      });

const requireDatasets = (job: UnlearningJobDataV1) => {
  if (!job.datasets || job.datasets.length === 0) {
    throw new JobError(
      JobErrorCode.DATASET_SOURCE_MISSING,
      `the job names no dataset sources: the worker cannot read D_r of ${job.modelId}`,
      { modelId: job.modelId },
    );
  }
  return job.datasets;
};

/** Signs the payload and stages the effect (the first staged effect of the job wins). */
const staged = async (
  deps: JobDependencies,
  job: UnlearningJobDataV1,
  index: number,
  payload: CertificatePayload,
  profile: JobProfile,
  release: Pick<StagedUnlearning, 'released' | 'trainingProfile' | 'chain'> | null,
): Promise<StagedUnlearning> => {
  const certificate = await deps.signer.signCertificate(payload);
  const model = payload.model;
  if (!model) throw new Error('certificate without model');
  const effect: StagedUnlearning = {
    kind: 'unlearning',
    jobId: job.jobId,
    modelId: job.modelId,
    step: index,
    method:
      payload.method === 'no-op'
        ? 'no-op'
        : payload.method === 'retrain'
          ? 'retrain'
          : 'newton-lissa',
    versionBefore: model.versionBefore,
    versionAfter: model.versionAfter,
    digestBefore: model.digestBefore,
    digestAfter: model.digestAfter,
    released: release?.released ?? null,
    trainingProfile: release?.trainingProfile ?? null,
    chain: release?.chain ?? null,
    certificateId: payload.certificateId,
    certificate,
    policy: profile.policy,
    policyRevision: job.policyRevision ?? null,
  };
  const kept = await deps.journal.stage(effect);
  if (kept.kind !== 'unlearning') throw new Error(`job ${job.jobId} staged a training effect`);
  // Re-assert the claim now that the effect is staged (a twin delivery that failed may have
  // given it back in between).
  const holder = await deps.journal.claimStep(job.modelId, kept.step, job.jobId);
  if (holder !== job.jobId) {
    throw new JobError(JobErrorCode.MODEL_BUSY, `certificate step of ${job.modelId} was taken`, {
      modelId: job.modelId,
    });
  }
  return kept;
};

/** Stores a staged unlearning effect; every step is idempotent (a rerun after a crash is safe). */
export const applyUnlearning = async (
  deps: JobDependencies,
  e: StagedUnlearning,
): Promise<void> => {
  const modelId = ModelId(e.modelId);
  if (e.released && e.chain && e.trainingProfile) {
    await deps.modelStore.putVersion({
      modelId,
      version: e.versionAfter,
      weights: asReleasedWeights(e.released),
      parentDigest: e.digestBefore,
      trainingProfile: e.trainingProfile,
    });
    await deps.chainStore.put(modelId, e.versionAfter, sealPrivateChainState(e.chain));
  }
  await deps.modelStore.linkCertificate(modelId, e.versionAfter, CertificateId(e.certificateId));
};
