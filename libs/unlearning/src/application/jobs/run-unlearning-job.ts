import { CertificateId, ModelId, type UnlearningJobDataV1 } from '@lethe/shared';
import type { CertificatePayload } from '@lethe/audit/domain/certificate/certificate-payload';
import { cumulativeGuarantee, emptyLedger } from '../../domain/privacy/accountant';
import { planDeletion } from '../../domain/sisa/sisa-plan';
import { processConvexDeletionRequest } from '../convex/convex-sequential';
import { decodeKeptFactor, encodeKeptFactor } from '../convex/factor-codec';
import type { SoftmaxHessianFactor } from '../../domain/convex/hessian-factor';
import { parameterCount } from '../model/architecture';
import { makeDataset, withoutIds, type Dataset } from '../model/dataset';
import { sha256Hex } from '../model/weights-codec';
import { sisaProfile, unlearnSisa } from '../sisa/sisa';
import {
  deserializeSisaState,
  encodeSisaEnsemble,
  isSisaStateMeta,
  serializeSisaState,
  type SisaState,
} from '../sisa/sisa-codec';
import { asReleasedWeights } from '../ports/model-store.port';
import {
  sealPrivateChainState,
  sealPrivateFactor,
  type PrivateFactorBytes,
} from '../ports/private-chain-store.port';
import { processDeletionRequest, type SequentialState } from '../sequential';
import { deserializeSequentialState, serializeSequentialState } from '../sequential-store';
import { saveWeights } from '../trained-model';
import {
  certificateIdOf,
  noOpCertificate,
  policyReason,
  releaseCertificate,
  sisaCertificate,
  type CertificateContext,
  type PolicyEvidence,
} from './certificate';
import { isoSeconds, type JobDependencies } from './job-context';
import { loadJobData, qualifiedId } from './job-data';
import { JobError, JobErrorCode } from './job-errors';
import type { StagedUnlearning } from './job-ports';
import {
  convexPolicyFor,
  modelKindOf,
  parseJobProfile,
  sequentialPolicyFor,
  type JobProfile,
  type UnlearningMethodName,
} from './job-profile';
import { noSpans, type JobSpans } from './job-spans';
import type { ProgressReporter } from './progress-reporter';
import { storedProfile } from './run-training-job';

/** The job ended without an effect: the policy parks the request (nothing released). */
export interface NeedsRetrain {
  readonly kind: 'needs-retrain';
  readonly code: string;
  readonly reason: string;
}

/** The base version's private state: a Newton / convex chain, or a SISA ensemble. */
type Base =
  | { readonly kind: 'chain'; readonly state: SequentialState; readonly digest: string }
  | { readonly kind: 'sisa'; readonly sisa: SisaState; readonly digest: string };

const remainingOf = (b: Base): readonly string[] =>
  b.kind === 'chain' ? b.state.remainingIds : b.sisa.ensemble.recordIds;

/** Every SISA release is exact: its chain has spent nothing. */
const ledgerOf = (b: Base) => (b.kind === 'chain' ? b.state.ledger : emptyLedger);

/** The base version, its private chain state, and that the two belong together. */
const loadBase = async (deps: JobDependencies, job: UnlearningJobDataV1): Promise<Base> => {
  const modelId = ModelId(job.modelId);
  // Three independent reads at once; their outcomes are looked at in this order.
  const reads = [
    deps.modelStore.getVersion(modelId, job.baseVersion),
    deps.modelStore.getVersion(modelId, job.baseVersion + 1),
  ] as const;
  const sealedRead = deps.chainStore.get(modelId, job.baseVersion);
  for (const r of [...reads, sealedRead]) r.catch(() => undefined);
  const record = await reads[0];
  if (!record) {
    throw new JobError(
      JobErrorCode.BASE_VERSION_NOT_FOUND,
      `version ${job.baseVersion} of ${job.modelId} is not in the model store`,
      { modelId: job.modelId, version: job.baseVersion },
    );
  }
  if (await reads[1]) {
    throw new JobError(
      JobErrorCode.STALE_BASE_VERSION,
      `version ${job.baseVersion + 1} of ${job.modelId} exists already: the job's base is stale`,
      { modelId: job.modelId, baseVersion: job.baseVersion },
    );
  }
  const sealed = await sealedRead;
  const missing = () =>
    new JobError(
      JobErrorCode.CHAIN_STATE_NOT_FOUND,
      `no private chain state behind version ${job.baseVersion} of ${job.modelId}`,
      { modelId: job.modelId, version: job.baseVersion },
    );
  if (sealed && isSisaStateMeta(sealed.meta)) {
    const sisa = deserializeSisaState(sealed);
    if (sisa.releaseDigest !== record.digest) throw missing();
    return { kind: 'sisa', sisa, digest: record.digest };
  }
  const state = sealed ? deserializeSequentialState(sealed) : null;
  // The chain state behind a version is the trained model (k = 0: released as trained, or with
  // noise for convex-newton) or the state whose noisy release is that version.
  const releaseDigest = state
    ? state.k === 0
      ? (state.previousReleaseDigest ?? state.chainDigest)
      : state.previousReleaseDigest
    : null;
  if (!state || releaseDigest !== record.digest) throw missing();
  return { kind: 'chain', state, digest: record.digest };
};

/**
 * The kept convex-newton factor behind the base version (docs/method.md §10 "The kept factor"),
 * when it is readable and belongs to the base's chain state (same chain digest, same rows, same
 * shape); otherwise undefined, and the engine rebuilds it on D_r. A preconditioner only: the
 * private check decides every release whatever factor was used. The log line says which, with no
 * value in it.
 */
const loadKeptFactor = async (
  deps: JobDependencies,
  job: UnlearningJobDataV1,
  state: SequentialState,
): Promise<SoftmaxHessianFactor | undefined> => {
  const at = `job ${job.jobId}: kept convex factor of version ${job.baseVersion}`;
  const fits = (chainDigest: string, factor: SoftmaxHessianFactor): boolean =>
    chainDigest === state.chainDigest &&
    factor.rows === state.remainingIds.length &&
    factor.p === parameterCount(state.arch);
  // The previous job's factor of this very chain state, still in worker memory: the same checks
  // as a stored one, without reading and decoding the file.
  const held = deps.factorCache?.get(job.modelId, job.baseVersion, state.chainDigest);
  if (held && fits(state.chainDigest, held)) {
    deps.logger.info(`${at} loaded from worker memory`);
    return held;
  }
  let why: 'missing' | 'stale' | 'unreadable';
  try {
    const bytes = await deps.chainStore.getFactor(ModelId(job.modelId), job.baseVersion);
    if (!bytes) {
      why = 'missing';
    } else {
      const { chainDigest, factor } = decodeKeptFactor(bytes);
      if (fits(chainDigest, factor)) {
        deps.logger.info(`${at} loaded`);
        return factor;
      }
      why = 'stale';
    }
  } catch {
    why = 'unreadable';
  }
  const line = `${at} ${why}: rebuilding it`;
  if (why === 'missing') deps.logger.info(line);
  else deps.logger.warn(line);
  return undefined;
};

/**
 * What the policy tried, in public codes only (docs/adr/0017-sisa-shard.md): the method of the
 * model's kind first, then retrain when the engine fell back to it.
 */
const policyEvidence = (
  profile: JobProfile,
  action: 'newton' | 'retrain' | 'needs-retrain',
  reasons: readonly string[],
): PolicyEvidence => {
  const methods = profile.policy.methods;
  const first = methods[0] as UnlearningMethodName;
  if (first === 'retrain') {
    return {
      chosen: 'retrain',
      tried: [{ method: 'retrain', outcome: 'chosen', reasons: [...reasons] }],
    };
  }
  if (action === 'newton') {
    return { chosen: first, tried: [{ method: first, outcome: 'chosen', reasons: [...reasons] }] };
  }
  const refused = { method: first, outcome: 'refused' as const, reasons: [...reasons] };
  return action === 'retrain'
    ? { chosen: 'retrain', tried: [refused, { method: 'retrain', outcome: 'chosen', reasons: [] }] }
    : { chosen: null, tried: [refused] };
};

/**
 * The certificate step this job takes on the model's chain: the next index, claimed write-once
 * for the job (docs/adr/0009-unlearning-worker.md), the previous certificate's JWS, and whether
 * this call wrote the claim.
 */
const claimStep = async (
  deps: JobDependencies,
  job: UnlearningJobDataV1,
): Promise<{ index: number; previous: string | null; created: boolean }> => {
  const last = await deps.journal.lastStep(job.modelId);
  const busy = (holder: string) =>
    new JobError(
      JobErrorCode.MODEL_BUSY,
      `certificate step of ${job.modelId} is held by another job (${holder})`,
      { modelId: job.modelId },
    );
  // The holder of the last step is usually also the holder of step index − 1: its staged effect
  // (write-once, with the chain state's ids in it) is read and decoded once, not twice.
  const certificates = new Map<string, Promise<string>>();
  const previousOf = (jobId: string): Promise<string> => {
    let c = certificates.get(jobId);
    if (!c) {
      c = deps.journal.stagedCertificate(jobId).then((certificate) => {
        if (certificate === null) throw busy(jobId);
        return certificate;
      });
      certificates.set(jobId, c);
    }
    return c;
  };
  let index: number;
  let created = false;
  if (last && last.jobId === job.jobId) {
    // Claimed by this job before a crash (or by a twin delivery on another worker): take it.
    index = last.index;
  } else {
    // The last step must have its certificate before the chain moves on.
    if (last) await previousOf(last.jobId);
    index = (last?.index ?? 0) + 1;
    const claim = await deps.journal.claimStep(job.modelId, index, job.jobId);
    if (claim.holder !== job.jobId) throw busy(claim.holder);
    created = claim.created;
  }
  const prevHolder = index > 1 ? await deps.journal.stepHolder(job.modelId, index - 1) : null;
  if (index > 1 && !prevHolder) throw busy('none');
  const previous = prevHolder ? await previousOf(prevHolder) : null;
  return { index, previous, created };
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
  spans: JobSpans = noSpans(),
): Promise<StagedUnlearning | NeedsRetrain> => {
  const trained = await spans.time('base', () => deps.journal.modelProfile(job.modelId));
  if (!trained) {
    throw new JobError(
      JobErrorCode.CHAIN_STATE_NOT_FOUND,
      `model ${job.modelId} was not trained by this worker (no profile in its journal)`,
      { modelId: job.modelId },
    );
  }
  const profile = profileForJob(trained, job);
  progress.stage('loading');
  // The step claim is journal I/O (two fsyncs) that nothing read below depends on: it runs beside
  // the reads of the base version, D_r and the kept factor, and is awaited before anything is
  // computed or signed. A failed claim is the job's error as before (MODEL_BUSY first), except
  // that the base version's own errors come first, as when the claim was taken after reading it;
  // a claim this call made is given back when the base fails. A claim it found (a crash's
  // leftover, or a twin delivery of this job still computing) is left as it was: the twin's.
  const claiming = spans.time('base', () => claimStep(deps, job));
  claiming.catch(() => undefined);
  const giveBack = async () => {
    const c = await claiming.catch(() => null);
    if (c?.created)
      await deps.journal.releaseStep(job.modelId, c.index, job.jobId).catch(() => undefined);
  };
  let base: Base;
  try {
    base = await spans.time('base', () => loadBase(deps, job));
  } catch (e) {
    await giveBack();
    throw e;
  }
  let claimed: { index: number; previous: string | null; created: boolean } | undefined;
  const claim = async () => (claimed = await claiming);
  const held = () => {
    if (!claimed) throw new Error('certificate context before the step claim');
    return claimed;
  };
  try {
    const remaining = new Set(remainingOf(base));
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
      index: held().index,
      previousCertificate: held().previous,
      producer: { workerId: deps.workerId, codeVersion: deps.codeVersion },
    });
    if (forget.length === 0) {
      const { index } = await claim();
      progress.stage('signing');
      const payload = noOpCertificate(
        ctx(job.baseVersion, base.digest),
        cumulativeGuarantee(ledgerOf(base)),
        deps.engine.backend(),
      );
      return await staged(deps, job, index, payload, profile, null, spans);
    }
    if (base.kind === 'sisa') {
      const { index } = await claim();
      return await unlearnSisaJob(deps, job, base, forget, index, profile, ctx, progress, spans);
    }
    const convex =
      modelKindOf(profile) === 'convex'
        ? convexPolicyFor(profile, parameterCount(base.state.arch))
        : undefined;
    // D_r and the kept factor are independent reads: both at once.
    const factorRead =
      convex?.solver.keptFactor === true
        ? spans.time('factor-read', () => loadKeptFactor(deps, job, base.state))
        : Promise.resolve(undefined);
    // Never rejects (loadKeptFactor maps every failure to a rebuild), but a handler keeps an
    // early throw below from leaving it unhandled.
    factorRead.catch(() => undefined);
    const { data } = await spans.time('data', () =>
      loadJobData(
        deps.sources,
        {
          datasets: requireDatasets(job),
          exclude: new Set(),
          only: remaining,
          name: `${job.modelId}/v${job.baseVersion}`,
        },
        deps.dataCache ? { cache: deps.dataCache, modelId: job.modelId } : undefined,
      ),
    );
    if (data.ids.length !== remaining.size) {
      throw new JobError(
        JobErrorCode.RECORD_NOT_FOUND,
        `${remaining.size - data.ids.length} training record(s) of version ${job.baseVersion} are no longer in the dataset sources`,
        { modelId: job.modelId, version: job.baseVersion },
      );
    }
    // The forgotten records leave the cache now: from here they live only in this job's D_r.
    deps.dataCache?.dropRecords(job.modelId, forget);
    const { index } = await claim();
    const sequential = convex ? undefined : sequentialPolicyFor(profile);
    const floor =
      convex?.accuracyFloor ??
      (sequential?.mode === 'certified' ? sequential.accuracyFloor : undefined);
    const common = {
      state: base.state,
      dataset: data,
      forgetIds: forget,
      // The accuracy floor is checked on the remaining training data D_r (a private check); the
      // copy is made only when the policy has a floor.
      ...(floor !== undefined
        ? { validation: withoutIds(data, forget, `${data.name}/validation`) }
        : {}),
      seed: `job:${job.jobId}`,
      onProgress: progress.onProgress,
    };
    const factor = await factorRead;
    const convexStep = convex
      ? await spans.time('compute', () =>
          processConvexDeletionRequest(deps.engine, {
            ...common,
            policy: convex,
            ...(factor ? { factor } : {}),
          }),
        )
      : undefined;
    const step =
      convexStep ??
      (await spans.time('compute', () =>
        processDeletionRequest(deps.engine, {
          ...common,
          policy: sequential ?? sequentialPolicyFor(profile),
        }),
      ));
    const release = step.public.release;
    const policy = policyEvidence(profile, step.public.action, step.public.reasons);
    if (step.public.action === 'needs-retrain' || !release) {
      await deps.journal.releaseStep(job.modelId, index, job.jobId);
      return {
        kind: 'needs-retrain',
        code: JobErrorCode.NEEDS_RETRAIN,
        reason: `the certified update cannot honour the model's policy and retraining is not allowed (${step.public.reasons.join(', ')}; tried: ${policyReason(policy)})`,
      };
    }
    progress.stage('signing');
    const { payload, next, released } = spans.timeSync('sign', () => ({
      payload: releaseCertificate(
        ctx(job.baseVersion + 1, release.released.digest),
        step.public,
        policy,
      ),
      next: serializeSequentialState(step.private.state),
      released: saveWeights(base.state.arch, release.released.params),
    }));
    const nextFactor = convexStep?.private.factor;
    return await staged(
      deps,
      job,
      index,
      payload,
      profile,
      {
        released,
        trainingProfile: storedProfile(step.private.state.profile),
        chain: { meta: next.meta, weights: next.weights },
      },
      spans,
      policy,
      nextFactor ? { factor: nextFactor, chainDigest: step.private.state.chainDigest } : undefined,
    );
  } catch (e) {
    // The claim's own failure is the job's error (it came first before the reads ran beside it).
    const settled = await claiming.then(
      (c) => ({ ok: true as const, c }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    if (!settled.ok) throw settled.error;
    await deps.journal.releaseStep(job.modelId, settled.c.index, job.jobId).catch(() => undefined);
    throw e;
  }
};

/**
 * sisa-shard: retrain only the shards that held the job's records, each from the checkpoint
 * before its first affected slice. Only the touched shards' remaining records are read.
 */
const unlearnSisaJob = async (
  deps: JobDependencies,
  job: UnlearningJobDataV1,
  base: Extract<Base, { kind: 'sisa' }>,
  forget: readonly string[],
  index: number,
  profile: JobProfile,
  ctx: (versionAfter: number, digestAfter: string) => CertificateContext,
  progress: ProgressReporter,
  spans: JobSpans,
): Promise<StagedUnlearning> => {
  const e = base.sisa.ensemble;
  const plan = planDeletion(e.assignment, forget);
  const gone = new Set(forget);
  const need = new Set(
    plan.flatMap((p) => (e.assignment.ids[p.shard] ?? []).flat().filter((id) => !gone.has(id))),
  );
  // Every touched shard may have been emptied: then nothing is read and nothing trained.
  let data: Dataset = makeDataset({
    name: 'empty',
    features: new Float32Array(0),
    labels: new Int32Array(0),
    ids: [],
    dim: 0,
    classes: 0,
  });
  if (need.size > 0) {
    const loaded = await spans.time('data', () =>
      loadJobData(deps.sources, {
        datasets: requireDatasets(job),
        exclude: gone,
        only: need,
        name: `${job.modelId}/v${job.baseVersion}`,
      }),
    );
    data = loaded.data;
  }
  if (data.ids.length !== need.size) {
    throw new JobError(
      JobErrorCode.RECORD_NOT_FOUND,
      `${need.size - data.ids.length} training record(s) of version ${job.baseVersion} are no longer in the dataset sources`,
      { modelId: job.modelId, version: job.baseVersion },
    );
  }
  progress.stage('retraining');
  const out = await spans.time('compute', () =>
    unlearnSisa(deps.engine, {
      ensemble: e,
      data,
      forgetIds: forget,
      onProgress: progress.onProgress,
    }),
  );
  const released = encodeSisaEnsemble(out.ensemble);
  const digestAfter = sha256Hex(released);
  progress.stage('signing');
  const policy: PolicyEvidence = {
    chosen: 'sisa-shard',
    tried: [{ method: 'sisa-shard', outcome: 'chosen', reasons: [] }],
  };
  const payload = sisaCertificate(ctx(job.baseVersion + 1, digestAfter), {
    outcome: out,
    settings: e.settings,
    backend: deps.engine.backend(),
    n: e.recordIds.length,
    nU: forget.length,
    policy,
  });
  const next = serializeSisaState({
    ensemble: out.ensemble,
    subjectKey: base.sisa.subjectKey,
    k: base.sisa.k + 1,
    releaseDigest: digestAfter,
  });
  return staged(
    deps,
    job,
    index,
    payload,
    profile,
    {
      released,
      trainingProfile: sisaProfile(out.ensemble, deps.engine.backend()),
      chain: next,
    },
    spans,
    policy,
  );
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

/**
 * An unlearning effect as computed by this job: the staged effect (what the journal keeps) and,
 * when the staged chain is this computation's, the next version's kept factor as bytes. The factor
 * is a cache, never journaled: an effect applied again after a crash leaves the next job to
 * rebuild it.
 */
export type ComputedUnlearning = StagedUnlearning & { readonly keptFactor?: PrivateFactorBytes };

/** Signs the payload and stages the effect (the first staged effect of the job wins). */
const staged = async (
  deps: JobDependencies,
  job: UnlearningJobDataV1,
  index: number,
  payload: CertificatePayload,
  profile: JobProfile,
  release: Pick<StagedUnlearning, 'released' | 'trainingProfile' | 'chain'> | null,
  spans: JobSpans,
  policy?: PolicyEvidence,
  next?: { readonly factor: SoftmaxHessianFactor; readonly chainDigest: string },
): Promise<ComputedUnlearning> => {
  const certificate = await spans.time('sign', () => deps.signer.signCertificate(payload));
  const model = payload.model;
  if (!model) throw new Error('certificate without model');
  const effect: StagedUnlearning = {
    kind: 'unlearning',
    jobId: job.jobId,
    modelId: job.modelId,
    step: index,
    method: payload.method,
    versionBefore: model.versionBefore,
    versionAfter: model.versionAfter,
    digestBefore: model.digestBefore,
    digestAfter: model.digestAfter,
    released: release?.released ?? null,
    trainingProfile: release?.trainingProfile ?? null,
    chain: release?.chain ?? null,
    certificateId: payload.certificateId,
    certificate,
    ...(policy ? { reason: policyReason(policy) } : {}),
    policy: profile.policy,
    policyRevision: job.policyRevision ?? null,
  };
  const staging = spans.time('stage', () => deps.journal.stage(effect));
  staging.catch(() => undefined);
  // The next factor's bytes (a copy of U's triangle and a SHA-256 of 1.7 MB at p = 650) are
  // encoded while the journal's write and fsyncs are in flight; written only if the effect wins.
  const keptFactor = next
    ? spans.timeSync('sign', () =>
        sealPrivateFactor(encodeKeptFactor(next.factor, next.chainDigest)),
      )
    : undefined;
  const kept = await staging;
  if (kept.kind !== 'unlearning') throw new Error(`job ${job.jobId} staged a training effect`);
  // Re-assert the claim now that the effect is staged (a twin delivery that failed may have
  // given it back in between).
  const { holder } = await spans.time('stage', () =>
    deps.journal.claimStep(job.modelId, kept.step, job.jobId),
  );
  if (holder !== job.jobId) {
    throw new JobError(JobErrorCode.MODEL_BUSY, `certificate step of ${job.modelId} was taken`, {
      modelId: job.modelId,
    });
  }
  // The next version's kept factor goes with this effect only when the staged chain is this
  // computation's (a twin's effect won: its chain needs its own factor). It is written beside the
  // version and the chain state (applyUnlearning) and kept in worker memory for the next job.
  if (next && keptFactor && kept.chain && effect.chain && kept.chain.meta === effect.chain.meta) {
    deps.factorCache?.set(job.modelId, kept.versionAfter, next.chainDigest, next.factor);
    return { ...kept, keptFactor };
  }
  return kept;
};

/**
 * Stores a staged unlearning effect; every step is idempotent (a rerun after a crash is safe).
 * The released version, the chain state and (with it) the kept factor are independent writes,
 * made at once; the version and the chain state are durable (fsync'ed) and the factor, a cache
 * its SHA-256 guards, is renamed into place, all before the certificate is linked, and the job
 * runner records and publishes the result only after that. A crash in between leaves the staged
 * effect, applied again on redelivery (without the factor: the next job rebuilds it).
 */
export const applyUnlearning = async (
  deps: JobDependencies,
  e: ComputedUnlearning,
  spans: JobSpans = noSpans(),
): Promise<void> => {
  const modelId = ModelId(e.modelId);
  if (e.released && e.chain && e.trainingProfile) {
    const chain = e.chain;
    const factor = e.keptFactor;
    await Promise.all([
      deps.modelStore.putVersion({
        modelId,
        version: e.versionAfter,
        weights: asReleasedWeights(e.released),
        parentDigest: e.digestBefore,
        trainingProfile: e.trainingProfile,
      }),
      deps.chainStore.put(modelId, e.versionAfter, sealPrivateChainState(chain)),
      factor
        ? spans.time('factor-write', () =>
            deps.chainStore.putFactor(modelId, e.versionAfter, factor),
          )
        : undefined,
    ]);
  }
  await deps.modelStore.linkCertificate(modelId, e.versionAfter, CertificateId(e.certificateId));
};
