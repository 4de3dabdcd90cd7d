import type { UnlearningResultDataV1 } from '@lethe/shared';
import type { CertificatePayload } from '@lethe/audit/domain/certificate/certificate-payload';
import type { TrainingProfile } from '../../domain/model/training-profile';
import type { DatasetSource } from '../ports/dataset-source.port';
import type { PrivateFactorBytes } from '../ports/private-chain-store.port';
import type { JobProfile } from './job-profile';

/*
 * Ports of the job use cases (run-training-job.ts, run-unlearning-job.ts). Adapters:
 * infrastructure/jobs/ (the directory journal), infrastructure/kafka/ (the result producer), the
 * @lethe/audit signer; in-memory ones for unit tests in testing/.
 */

/** Publishes one result message on lethe.unlearning-results.v1 (resolves once acknowledged). */
export interface ResultSink {
  publish(result: UnlearningResultDataV1): Promise<void>;
}

/** Signs a certificate payload (validated first) as a compact JWS: `JoseAuditSigner` fits. */
export interface CertificateSigner {
  signCertificate(payload: CertificatePayload): Promise<string>;
}

/** Opens the source of a dataset from its registered descriptor (validated by the factory). */
export type DatasetSourceFactory = (descriptor: unknown) => DatasetSource;

/** The serialised private chain state (serializeSequentialState): PRIVATE, never published. */
export interface StagedChainState {
  readonly meta: string;
  readonly weights: Uint8Array;
}

/** A training job's whole effect, computed once and kept before anything is stored. */
export interface StagedTraining {
  readonly kind: 'training';
  readonly jobId: string;
  readonly modelId: string;
  readonly version: number;
  /** The released weights file (the trained model w*). */
  readonly released: Uint8Array;
  readonly digest: string;
  readonly trainingProfile: TrainingProfile;
  readonly chain: StagedChainState;
  /**
   * convex-newton with a kept factor: the factor of D at w*, bound to `chain` by its digest
   * (factor-codec.ts). PRIVATE; a cache: an effect applied without it leaves the first request to
   * rebuild it.
   */
  readonly keptFactor?: PrivateFactorBytes;
  readonly profile: JobProfile;
  readonly metrics: Readonly<Record<string, number>>;
}

/** An unlearning job's whole effect: the certificate (signed) and, unless no-op, the release. */
export interface StagedUnlearning {
  readonly kind: 'unlearning';
  readonly jobId: string;
  readonly modelId: string;
  /** The certificate's index on the model's chain (docs/adr/0009-unlearning-worker.md). */
  readonly step: number;
  readonly method: 'newton-lissa' | 'convex-newton' | 'retrain' | 'sisa-shard' | 'no-op';
  readonly versionBefore: number;
  readonly versionAfter: number;
  readonly digestBefore: string;
  readonly digestAfter: string;
  /** Null for a no-op (no new version). */
  readonly released: Uint8Array | null;
  readonly trainingProfile: TrainingProfile | null;
  readonly chain: StagedChainState | null;
  readonly certificateId: string;
  readonly certificate: string;
  /** Why the policy chose the method (public codes; absent for no-op). */
  readonly reason?: string;
  /**
   * The unlearning policy the job ran under (validated) and the revision the job named (null:
   * the trained policy). Optional: effects staged before policies could change have neither.
   */
  readonly policy?: JobProfile['policy'];
  readonly policyRevision?: number | null;
}

export type StagedEffect = StagedTraining | StagedUnlearning;

/** The outcome of a step claim: its holder, and whether this call wrote the claim. */
export interface StepClaim {
  readonly holder: string;
  readonly created: boolean;
}

/**
 * The worker's PRIVATE journal (it holds chain states): what makes one job have exactly one
 * effect (docs/adr/0009-unlearning-worker.md). Every write is write-once and atomic.
 */
export interface JobJournal {
  /**
   * Keeps the job's effect unless one is kept already; returns the kept one (the first writer
   * wins, so two workers racing on one job converge on the same effect).
   */
  stage(effect: StagedEffect): Promise<StagedEffect>;
  staged(jobId: string): Promise<StagedEffect | null>;
  /** The certificate of the job's staged unlearning effect; null when it has none (or trained). */
  stagedCertificate(jobId: string): Promise<string | null>;
  /**
   * Claims certificate step `index` of the model for `jobId`; returns the job holding it (this
   * one, or another that claimed it first), and whether this call made the claim (false when the
   * step was held already, by this job too: a crash's leftover or a twin delivery's).
   */
  claimStep(modelId: string, index: number, jobId: string): Promise<StepClaim>;
  /**
   * Gives a claimed step back (the job ended without an effect); only its holder can, and not
   * once the job has a staged effect.
   */
  releaseStep(modelId: string, index: number, jobId: string): Promise<void>;
  /** The job holding step `index` of the model, or null. */
  stepHolder(modelId: string, index: number): Promise<string | null>;
  /** The highest claimed step of the model and its holder, or null. */
  lastStep(modelId: string): Promise<{ readonly index: number; readonly jobId: string } | null>;
  /** The validated profile the model was trained with (write-once; same content is a no-op). */
  putModelProfile(modelId: string, profile: JobProfile): Promise<void>;
  modelProfile(modelId: string): Promise<JobProfile | null>;
  /** The terminal result published for (jobId, attempt), to re-publish on redelivery. */
  recordResult(result: UnlearningResultDataV1): Promise<void>;
  result(jobId: string, attempt: number): Promise<UnlearningResultDataV1 | null>;
}
