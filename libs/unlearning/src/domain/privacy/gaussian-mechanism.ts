import { UnlearningError, UnlearningErrorCodes } from '../errors';
import { logNormalCdf } from './normal';

/**
 * Gaussian mechanism calibration: the σ that makes releasing w~ + N(0, σ²I) (ε, δ)-indistinguishable
 * from w~* + N(0, σ²I) when ‖w~ − w~*‖₂ ≤ Δ (paper Theorem 2.3; docs/method.md §1, §4).
 *
 * - classic (Dwork & Roth 2014, Thm A.1): σ = Δ·√(2 ln(1.25/δ))/ε. Only proved for ε < 1; Lethe
 *   (like R2D's code) admits ε ≤ 1, and refuses ε > 1 with PRIVACY_INVALID_PARAMS.
 * - analytic (Balle & Wang 2018, Thm 8): the smallest σ with
 *   δ(ε, σ) = Φ(Δ/(2σ) − εσ/Δ) − e^ε·Φ(−Δ/(2σ) − εσ/Δ) ≤ δ, found by bisection. It is exact
 *   (necessary and sufficient), so it is never larger than the classic σ where both apply.
 *
 * Policy `auto` (docs/method.md §4): classic for ε ≤ 1, analytic for ε > 1. `analytic` always uses the
 * exact calibration (smaller σ for the same (ε, δ)); `classic` forces the textbook formula.
 * All bisections return the conservative end of the final bracket (σ rounded up, ε rounded up).
 */
export type GaussianMechanism = 'classic' | 'analytic';
export type MechanismPolicy = 'auto' | GaussianMechanism;

export interface SigmaCalibration {
  readonly sigma: number;
  readonly mechanism: GaussianMechanism;
}

export interface EpsilonForSigma {
  readonly epsilon: number;
  readonly mechanism: GaussianMechanism;
}

const CODE = UnlearningErrorCodes.PRIVACY_INVALID_PARAMS;

function fail(message: string, details: Record<string, unknown>): never {
  throw new UnlearningError(CODE, message, details);
}

function checkEpsilon(epsilon: number): void {
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || !(epsilon > 0)) {
    fail('epsilon must be a finite number > 0', { epsilon });
  }
}

function checkDelta(delta: number): void {
  if (typeof delta !== 'number' || !Number.isFinite(delta) || !(delta > 0 && delta < 1)) {
    fail('delta must be a number in (0, 1)', { delta });
  }
}

function checkPositive(name: string, x: number): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || !(x > 0)) {
    fail(`${name} must be a finite number > 0`, { [name]: x });
  }
}

/** Classic Gaussian mechanism σ = Δ·√(2 ln(1.25/δ))/ε, for 0 < ε ≤ 1. */
export function classicGaussianSigma(epsilon: number, delta: number, sensitivity: number): number {
  checkEpsilon(epsilon);
  checkDelta(delta);
  checkPositive('sensitivity', sensitivity);
  if (epsilon > 1) {
    fail('the classic Gaussian mechanism is only valid for epsilon <= 1; use the analytic one', {
      epsilon,
    });
  }
  return (sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
}

/**
 * ln δ(ε, σ) of the analytic Gaussian mechanism, evaluated in log space so that huge ε (e^ε would
 * overflow) and far tails stay finite. −Infinity when δ is below float64 resolution (≈ 0).
 */
export function logAnalyticGaussianDelta(
  epsilon: number,
  sigma: number,
  sensitivity: number,
): number {
  const r = sensitivity / (2 * sigma);
  const s = (epsilon * sigma) / sensitivity;
  const logT1 = logNormalCdf(r - s);
  const logT2 = epsilon + logNormalCdf(-r - s);
  const d = logT2 - logT1;
  if (!(d < 0)) return -Infinity;
  return logT1 + Math.log(-Math.expm1(d));
}

/** δ(ε, σ) = Φ(Δ/(2σ) − εσ/Δ) − e^ε·Φ(−Δ/(2σ) − εσ/Δ) (Balle & Wang 2018, Theorem 8). */
export function analyticGaussianDelta(epsilon: number, sigma: number, sensitivity: number): number {
  if (!(epsilon >= 0) || !Number.isFinite(epsilon))
    fail('epsilon must be finite and >= 0', { epsilon });
  checkPositive('sigma', sigma);
  checkPositive('sensitivity', sensitivity);
  return Math.exp(logAnalyticGaussianDelta(epsilon, sigma, sensitivity));
}

const MAX_BISECTIONS = 400;
const REL_TOL = 1e-14;

/** Smallest σ (rounded up) with δ(ε, σ) ≤ δ, by bracketing and bisection on ln σ. */
export function analyticGaussianSigma(epsilon: number, delta: number, sensitivity: number): number {
  checkEpsilon(epsilon);
  checkDelta(delta);
  checkPositive('sensitivity', sensitivity);
  const target = Math.log(delta);
  const excess = (sigma: number): number =>
    logAnalyticGaussianDelta(epsilon, sigma, sensitivity) - target; // decreasing in σ
  const guess = (sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
  let lo = guess;
  let hi = guess;
  for (let i = 0; excess(lo) < 0; i++) {
    lo /= 2;
    if (i > 2000) fail('could not bracket sigma from below', { epsilon, delta, sensitivity });
  }
  for (let i = 0; excess(hi) > 0; i++) {
    hi *= 2;
    if (i > 2000) fail('could not bracket sigma from above', { epsilon, delta, sensitivity });
  }
  for (let i = 0; i < MAX_BISECTIONS && hi - lo > REL_TOL * hi; i++) {
    const mid = Math.sqrt(lo * hi);
    if (excess(mid) > 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

export interface CalibrateSigmaInput {
  readonly epsilon: number;
  readonly delta: number;
  /** Δ, the L2 sensitivity (the certified bound ‖w~ − w~*‖₂ ≤ Δ). */
  readonly sensitivity: number;
  /** Default `auto`: classic for ε ≤ 1, analytic for ε > 1 (docs/method.md §4). */
  readonly mechanism?: MechanismPolicy;
}

export function calibrateSigma(input: CalibrateSigmaInput): SigmaCalibration {
  const { epsilon, delta, sensitivity } = input;
  const policy = input.mechanism ?? 'auto';
  checkEpsilon(epsilon);
  const mechanism: GaussianMechanism =
    policy === 'auto' ? (epsilon <= 1 ? 'classic' : 'analytic') : policy;
  if (mechanism === 'classic') {
    return { sigma: classicGaussianSigma(epsilon, delta, sensitivity), mechanism };
  }
  if (mechanism !== 'analytic') fail('unknown mechanism', { mechanism: policy });
  return { sigma: analyticGaussianSigma(epsilon, delta, sensitivity), mechanism };
}

export interface EpsilonForSigmaInput {
  readonly sigma: number;
  readonly delta: number;
  readonly sensitivity: number;
  /**
   * Default `auto`: min(classic ε where it is ≤ 1, analytic ε). Both are valid upper bounds, and the
   * minimum is monotone in σ (taking the classic one whenever it is ≤ 1 was not: σ = 4.8448·Δ gave
   * ε = 1.0 and σ = 4.84·Δ gave 0.752).
   */
  readonly mechanism?: MechanismPolicy;
}

/** Smallest ε (rounded up) with δ(ε, σ) ≤ δ under the analytic mechanism; 0 if ε = 0 suffices. */
export function analyticGaussianEpsilon(sigma: number, delta: number, sensitivity: number): number {
  checkPositive('sigma', sigma);
  checkDelta(delta);
  checkPositive('sensitivity', sensitivity);
  const target = Math.log(delta);
  const excess = (eps: number): number =>
    logAnalyticGaussianDelta(eps, sigma, sensitivity) - target; // decreasing in ε
  if (excess(0) <= 0) return 0;
  let lo = 0;
  let hi = Math.max(1e-6, (sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / sigma);
  for (let i = 0; excess(hi) > 0; i++) {
    lo = hi;
    hi *= 2;
    if (i > 2000) fail('could not bracket epsilon', { sigma, delta, sensitivity });
  }
  for (let i = 0; i < MAX_BISECTIONS && hi - lo > REL_TOL * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (excess(mid) > 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The ε that releasing with noise σ certifies, at the given δ and Δ. */
export function epsilonForSigma(input: EpsilonForSigmaInput): EpsilonForSigma {
  const { sigma, delta, sensitivity } = input;
  const policy = input.mechanism ?? 'auto';
  checkPositive('sigma', sigma);
  checkDelta(delta);
  checkPositive('sensitivity', sensitivity);
  const classic = (sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / sigma;
  if (policy === 'classic') {
    if (classic > 1) {
      fail('the classic Gaussian mechanism cannot certify this sigma (implied epsilon > 1)', {
        sigma,
        impliedEpsilon: classic,
      });
    }
    return { epsilon: classic, mechanism: 'classic' };
  }
  if (policy !== 'auto' && policy !== 'analytic') fail('unknown mechanism', { mechanism: policy });
  const analytic = analyticGaussianEpsilon(sigma, delta, sensitivity);
  if (policy === 'auto' && classic <= 1 && classic < analytic)
    return { epsilon: classic, mechanism: 'classic' };
  return { epsilon: analytic, mechanism: 'analytic' };
}
