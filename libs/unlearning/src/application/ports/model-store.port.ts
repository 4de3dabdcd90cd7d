import type { CertificateId, ModelId } from '@lethe/shared';
import type { TrainingProfile } from '../../domain/model/training-profile';
import type { PrivateWeightBytes } from './private-chain-store.port';

/*
 * The PUBLIC store of released model versions: content-addressed weights (the model digest is
 * the SHA-256 of the weights file, application/model/weights-codec.ts) and write-once version
 * metadata. What `GET /v1/models/:id/versions/:v` and the weights download read. Adapter:
 * infrastructure/model-store/directory-model-store.ts; an S3-compatible one can follow behind
 * the same port. The noise-free chain state goes to the separate `PrivateChainStore`.
 */

declare const publicWeightsBrand: unique symbol;

/** The bytes of a RELEASED model's weights file (noise added, or an exact retrain). */
export type PublicWeights = Uint8Array & { readonly [publicWeightsBrand]: true };

/**
 * Brands released weight bytes public. Call it only on a release (`step.release`, a retrained
 * model); private chain bytes (`PrivateWeightBytes`) do not type-check here.
 */
export const asReleasedWeights = <T extends Uint8Array>(
  bytes: T & (T extends PrivateWeightBytes ? never : unknown),
): PublicWeights => bytes as Uint8Array as PublicWeights;

export const WEIGHTS_BLOB_FORMAT = 'lethe.weights/v1';

/** What the store keeps about one released version. */
export interface ModelVersionRecord {
  readonly modelId: ModelId;
  /** 1 for the first trained version, then +1 per release. */
  readonly version: number;
  /** SHA-256 (hex) of the weights file: the model digest and the blob's address. */
  readonly digest: string;
  /** Digest of the version this one was derived from (null for a first training). */
  readonly parentDigest: string | null;
  readonly sizeBytes: number;
  readonly format: typeof WEIGHTS_BLOB_FORMAT;
  /** How the chain behind this version was trained (the guarantee's profile). */
  readonly trainingProfile: TrainingProfile;
  /**
   * Certificates that name this version (linked after signing; the audit log is the record of
   * truth, this is a convenience index). Sorted.
   */
  readonly certificateIds: readonly CertificateId[];
  /** When this version was first stored (ISO 8601). */
  readonly storedAt: string;
}

export interface PutModelVersion {
  readonly modelId: ModelId;
  readonly version: number;
  readonly weights: PublicWeights;
  readonly parentDigest: string | null;
  readonly trainingProfile: TrainingProfile;
  readonly certificateIds?: readonly CertificateId[];
}

export interface ModelStore {
  /**
   * Stores the weights blob (if new) and the version's metadata. Idempotent: putting the same
   * version with the same weights, parent and profile again returns the stored record with
   * `created: false` (also under concurrent puts); different content for an existing version is
   * `MODEL_STORE_VERSION_CONFLICT` (versions are write-once: no forks).
   */
  putVersion(
    v: PutModelVersion,
  ): Promise<{ readonly record: ModelVersionRecord; readonly created: boolean }>;
  /** The version's metadata (integrity-checked), or null. */
  getVersion(modelId: ModelId, version: number): Promise<ModelVersionRecord | null>;
  /** Every stored version of the model, ascending. */
  listVersions(modelId: ModelId): Promise<readonly ModelVersionRecord[]>;
  /** The weights file with this digest, re-hashed on read (`MODEL_STORE_BLOB_CORRUPT`). */
  readWeights(digest: string): Promise<PublicWeights>;
  /** Adds a certificate id to a stored version (idempotent); returns the updated record. */
  linkCertificate(
    modelId: ModelId,
    version: number,
    certificateId: CertificateId,
  ): Promise<ModelVersionRecord>;
}
