import { Query } from '@nestjs/cqrs';
import type { ModelId } from '@lethe/shared';

/** A released version: the store's metadata and digest, with governance's lineage of it. */
export interface ModelVersionView {
  readonly modelId: string;
  readonly version: number;
  /** SHA-256 (hex) of the weights file, as the store addresses it. */
  readonly digest: string;
  readonly parentDigest: string | null;
  readonly sizeBytes: number;
  readonly format: string;
  readonly trainingProfile: Readonly<Record<string, unknown>>;
  readonly storedAt: string;
  /** Certificates naming this version (the store's index and governance's record, merged). */
  readonly certificateIds: readonly string[];
  /** What governance recorded for the version (null if it has not recorded it yet). */
  readonly lineage: {
    readonly origin: string;
    readonly parentVersion: number | null;
    readonly jobId: string | null;
    readonly datasetIds: readonly string[];
    readonly recordCount: number;
    readonly trainingSetDigest: string;
    /** The weights digest the worker reported (and the certificate signed); equals `digest`. */
    readonly weightsDigest: string | null;
    readonly metrics: Readonly<Record<string, number>> | null;
    readonly registeredAt: string;
  } | null;
}

export class GetModelVersionQuery extends Query<ModelVersionView> {
  constructor(
    readonly modelId: ModelId,
    readonly version: number,
  ) {
    super();
  }
}

/** The weights file of a released version, re-hashed on read by the store. */
export interface ModelWeightsFile {
  readonly modelId: string;
  readonly version: number;
  readonly digest: string;
  readonly bytes: Uint8Array;
}

export class GetModelWeightsQuery extends Query<ModelWeightsFile> {
  constructor(
    readonly modelId: ModelId,
    readonly version: number,
  ) {
    super();
  }
}
