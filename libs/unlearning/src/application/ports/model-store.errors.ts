import { CodedError, type DomainErrorKind } from '@lethe/shared';

/**
 * Stable codes raised by the model store and the private chain store (ports in this folder,
 * adapters in infrastructure/model-store/). Add, never rename.
 */
export const ModelStoreErrorCode = {
  /** A model id, version or digest is malformed (ids: letters, digits, `.`, `_`, `-`, ≤ 128). */
  INVALID_KEY: 'MODEL_STORE_INVALID_KEY',
  /** The bytes handed to the public store are not a valid weights file, or do not match a digest. */
  INVALID_WEIGHTS: 'MODEL_STORE_INVALID_WEIGHTS',
  /** A stored blob's SHA-256 differs from its address: the file was altered or damaged. */
  BLOB_CORRUPT: 'MODEL_STORE_BLOB_CORRUPT',
  /** A stored version's metadata file is not valid (altered or damaged). */
  METADATA_CORRUPT: 'MODEL_STORE_METADATA_CORRUPT',
  /** The version already exists with different content (a fork): versions are write-once. */
  VERSION_CONFLICT: 'MODEL_STORE_VERSION_CONFLICT',
  /** No such blob / version. */
  NOT_FOUND: 'MODEL_STORE_NOT_FOUND',
  /** The public and private roots are the same directory or one contains the other. */
  ROOTS_OVERLAP: 'MODEL_STORE_ROOTS_OVERLAP',
  /** A stored private chain state fails its checksum, format or digest check. */
  PRIVATE_STATE_CORRUPT: 'PRIVATE_CHAIN_STATE_CORRUPT',
  /** A chain step already exists with different content: chain steps are write-once. */
  PRIVATE_STATE_CONFLICT: 'PRIVATE_CHAIN_STATE_CONFLICT',
  /** The filesystem refused an operation (permissions, disk full…); retryable. */
  IO_FAILURE: 'MODEL_STORE_IO_FAILURE',
} as const;

export type ModelStoreErrorCode = (typeof ModelStoreErrorCode)[keyof typeof ModelStoreErrorCode];

const KIND: Record<ModelStoreErrorCode, DomainErrorKind> = {
  MODEL_STORE_INVALID_KEY: 'validation',
  MODEL_STORE_INVALID_WEIGHTS: 'validation',
  MODEL_STORE_BLOB_CORRUPT: 'unprocessable',
  MODEL_STORE_METADATA_CORRUPT: 'unprocessable',
  MODEL_STORE_VERSION_CONFLICT: 'conflict',
  MODEL_STORE_NOT_FOUND: 'not-found',
  MODEL_STORE_ROOTS_OVERLAP: 'validation',
  PRIVATE_CHAIN_STATE_CORRUPT: 'unprocessable',
  PRIVATE_CHAIN_STATE_CONFLICT: 'conflict',
  MODEL_STORE_IO_FAILURE: 'unavailable',
};

/** The one error class of both stores; `code` tells the cases apart. */
export class ModelStoreError extends CodedError<ModelStoreErrorCode> {
  constructor(
    code: ModelStoreErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, KIND[code], message, details);
  }
}

export const isModelStoreError = (e: unknown, code?: ModelStoreErrorCode): e is ModelStoreError =>
  e instanceof ModelStoreError && (code === undefined || e.code === code);
