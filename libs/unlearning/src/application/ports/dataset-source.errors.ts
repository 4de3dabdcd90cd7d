import { DomainError, type DomainErrorKind } from '@lethe/shared';

/**
 * Stable codes raised by dataset sources (the `DatasetSource` port and its adapters). They reach
 * HTTP problem+json `code` (dataset registration) and job failure reasons: add, never rename.
 */
export const DatasetSourceErrorCode = {
  /** The source descriptor does not validate (unknown kind, bad path, overlapping columns…). */
  INVALID_DESCRIPTOR: 'DATASET_SOURCE_INVALID_DESCRIPTOR',
  /** The file path escapes the configured data root (absolute, `..`, or a symlink out of it). */
  PATH_OUTSIDE_ROOT: 'DATASET_SOURCE_PATH_OUTSIDE_ROOT',
  /** The file cannot be opened or read. */
  UNREADABLE: 'DATASET_SOURCE_UNREADABLE',
  /** The file has no header (CSV) or no row at all. */
  EMPTY: 'DATASET_SOURCE_EMPTY',
  /** A line is not a JSON object (NDJSON), or a quoted CSV field is not terminated. */
  MALFORMED_ROW: 'DATASET_SOURCE_MALFORMED_ROW',
  /** The header or a row lacks the record-id, label or a feature column. */
  MISSING_COLUMN: 'DATASET_SOURCE_MISSING_COLUMN',
  /** A feature is not a finite number representable as float32. */
  NON_NUMERIC_FEATURE: 'DATASET_SOURCE_NON_NUMERIC_FEATURE',
  /** A row has a different number of fields or features than the header / first row. */
  RAGGED_ROW: 'DATASET_SOURCE_RAGGED_ROW',
  /** Two rows carry the same record id. */
  DUPLICATE_RECORD_ID: 'DATASET_SOURCE_DUPLICATE_RECORD_ID',
  /** A record id is empty or longer than 256 characters. */
  INVALID_RECORD_ID: 'DATASET_SOURCE_INVALID_RECORD_ID',
  /** A label is not an integer in [0, classCount). */
  INVALID_LABEL: 'DATASET_SOURCE_INVALID_LABEL',
  /** A read option is malformed (batch size…). */
  INVALID_READ_OPTIONS: 'DATASET_SOURCE_INVALID_READ_OPTIONS',
} as const;

export type DatasetSourceErrorCode =
  (typeof DatasetSourceErrorCode)[keyof typeof DatasetSourceErrorCode];

const KIND: Record<DatasetSourceErrorCode, DomainErrorKind> = {
  DATASET_SOURCE_INVALID_DESCRIPTOR: 'validation',
  DATASET_SOURCE_PATH_OUTSIDE_ROOT: 'validation',
  DATASET_SOURCE_UNREADABLE: 'unprocessable',
  DATASET_SOURCE_EMPTY: 'unprocessable',
  DATASET_SOURCE_MALFORMED_ROW: 'unprocessable',
  DATASET_SOURCE_MISSING_COLUMN: 'unprocessable',
  DATASET_SOURCE_NON_NUMERIC_FEATURE: 'unprocessable',
  DATASET_SOURCE_RAGGED_ROW: 'unprocessable',
  DATASET_SOURCE_DUPLICATE_RECORD_ID: 'unprocessable',
  DATASET_SOURCE_INVALID_RECORD_ID: 'unprocessable',
  DATASET_SOURCE_INVALID_LABEL: 'unprocessable',
  DATASET_SOURCE_INVALID_READ_OPTIONS: 'validation',
};

/**
 * The one error class of dataset sources. File errors carry `details.line` (1-based physical
 * line of the file; a CSV header is line 1) and, where there is one, `details.column`.
 */
export class DatasetSourceError extends DomainError {
  readonly kind: DomainErrorKind;

  constructor(
    readonly code: DatasetSourceErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message, details);
    this.kind = KIND[code];
  }
}

export const isDatasetSourceError = (
  e: unknown,
  code?: DatasetSourceErrorCode,
): e is DatasetSourceError =>
  e instanceof DatasetSourceError && (code === undefined || e.code === code);
