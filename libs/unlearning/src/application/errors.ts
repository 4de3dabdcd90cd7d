import { CodedError, type DomainErrorKind } from '@lethe/shared';

/** Stable codes raised by the numeric engine. */
export const EngineErrorCode = {
  LissaDiverged: 'LISSA_DIVERGED',
  CgNegativeCurvature: 'CG_NEGATIVE_CURVATURE',
  CgNotConverged: 'CG_NOT_CONVERGED',
  NotPositiveDefinite: 'HESSIAN_NOT_POSITIVE_DEFINITE',
  ExactSolveTooLarge: 'EXACT_SOLVE_TOO_LARGE',
  BackendUnavailable: 'TF_BACKEND_UNAVAILABLE',
  InvalidArchitecture: 'INVALID_ARCHITECTURE',
  InvalidWeights: 'INVALID_WEIGHTS_FILE',
  InvalidDataset: 'INVALID_DATASET',
  InvalidSettings: 'INVALID_UNLEARNING_SETTINGS',
  UnknownRecords: 'UNKNOWN_RECORDS',
  NonFinite: 'NON_FINITE_VALUES',
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

export const unlearningError = (
  code: EngineErrorCode,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
  kind: DomainErrorKind = 'unprocessable',
): CodedError => new CodedError(code, kind, message, details);
