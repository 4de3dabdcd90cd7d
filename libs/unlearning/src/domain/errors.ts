import { CodedError, type DomainErrorKind } from '@lethe/shared';

/**
 * Stable error codes of the unlearning domain. They are part of the contract (they reach
 * problem+json `code`, job failure reasons and certificates' rejection reasons): never rename one,
 * only add.
 */
export const UnlearningErrorCodes = {
  /** A certified-bound input is missing, non-finite, out of range or inconsistent. */
  BOUND_INVALID_INPUT: 'BOUND_INVALID_INPUT',
  /** (ε, δ, Δ, σ) outside the domain of the chosen Gaussian mechanism. */
  PRIVACY_INVALID_PARAMS: 'PRIVACY_INVALID_PARAMS',
  /** The LiSSA recursion blew up (norm growth, NaN/Inf): scale H too small or depth s too large. */
  LISSA_DIVERGED: 'LISSA_DIVERGED',
  /** A release would push the cumulative (ε, δ) past the model's budget. */
  BUDGET_EXHAUSTED: 'BUDGET_EXHAUSTED',
  /** A policy input is malformed (negative floor, budget, …). */
  POLICY_INVALID_INPUT: 'POLICY_INVALID_INPUT',
  /** Shapes or values given to the float64 reference models do not fit the architecture. */
  MODEL_INVALID_INPUT: 'MODEL_INVALID_INPUT',
  /** Membership-inference evidence inputs are malformed (lengths, a single class, …). */
  MIA_INVALID_INPUT: 'MIA_INVALID_INPUT',
  /** Any other malformed argument of a domain helper (PRNG seed, sample size, …). */
  UNLEARNING_INVALID_INPUT: 'UNLEARNING_INVALID_INPUT',
  /**
   * A private check of a certified release failed (spectrum floor, start in the ball, gradient
   * proxy, solver residual): the assumptions do not hold here, so nothing is released. The error
   * names the checks only, never their measured values.
   */
  CERTIFICATION_CHECK_FAILED: 'CERTIFICATION_CHECK_FAILED',
} as const;

export type UnlearningErrorCode = (typeof UnlearningErrorCodes)[keyof typeof UnlearningErrorCodes];

const KIND: Record<UnlearningErrorCode, DomainErrorKind> = {
  BOUND_INVALID_INPUT: 'validation',
  PRIVACY_INVALID_PARAMS: 'validation',
  LISSA_DIVERGED: 'unprocessable',
  BUDGET_EXHAUSTED: 'unprocessable',
  POLICY_INVALID_INPUT: 'validation',
  MODEL_INVALID_INPUT: 'validation',
  MIA_INVALID_INPUT: 'validation',
  UNLEARNING_INVALID_INPUT: 'validation',
  CERTIFICATION_CHECK_FAILED: 'unprocessable',
};

/** The one error class of the unlearning domain; `code` tells the cases apart. */
export class UnlearningError extends CodedError<UnlearningErrorCode> {
  constructor(
    code: UnlearningErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, KIND[code], message, details);
  }
}

export const isUnlearningError = (e: unknown, code?: UnlearningErrorCode): e is UnlearningError =>
  e instanceof UnlearningError && (code === undefined || e.code === code);

/** Throws `code` unless `x` is a finite number (guards every public numeric entry point). */
export function requireFinite(code: UnlearningErrorCode, name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new UnlearningError(code, `${name} must be a finite number`, { [name]: x });
  }
  return x;
}

export function requirePositive(code: UnlearningErrorCode, name: string, x: unknown): number {
  const v = requireFinite(code, name, x);
  if (!(v > 0)) throw new UnlearningError(code, `${name} must be > 0`, { [name]: v });
  return v;
}

export function requireNonNegative(code: UnlearningErrorCode, name: string, x: unknown): number {
  const v = requireFinite(code, name, x);
  if (!(v >= 0)) throw new UnlearningError(code, `${name} must be >= 0`, { [name]: v });
  return v;
}

export function requirePositiveInteger(
  code: UnlearningErrorCode,
  name: string,
  x: unknown,
): number {
  const v = requireFinite(code, name, x);
  if (!Number.isInteger(v) || v < 1) {
    throw new UnlearningError(code, `${name} must be an integer >= 1`, { [name]: v });
  }
  return v;
}
