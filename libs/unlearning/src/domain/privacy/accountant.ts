import { UnlearningError, UnlearningErrorCodes } from '../errors';
import { analyticGaussianEpsilon } from './gaussian-mechanism';

/**
 * Cumulative privacy accounting over the releases of one model's unlearning chain (every release
 * w~_k + N(0, σ_k²I) is a Gaussian mechanism with sensitivity Δ_k = the certified bound).
 * Immutable: every operation returns a new ledger.
 *
 * Three valid upper bounds are tracked; the reported cumulative ε is the smallest of those that
 * apply, at δ_total = Σδ_k (so all are stated at the same δ):
 * - basic composition: (Σε_k, Σδ_k) from the per-release certificates;
 * - Gaussian DP (Dong, Roth & Su 2019): a Gaussian mechanism is exactly μ_k-GDP with
 *   μ_k = Δ_k/σ_k; k-fold composition is √(Σμ_k²)-GDP, i.e. exactly one Gaussian mechanism with
 *   Δ/σ = μ, whose (ε, δ) curve is the analytic Gaussian mechanism's (exact, tightest);
 * - zCDP (Bun & Steinke 2016), informative: ρ = Σ Δ_k²/(2σ_k²), ε = ρ + 2√(ρ ln(1/δ)).
 * Exact releases (retraining, ε = 0) add nothing. A release that is not certified (paper-experiment,
 * or any σ without a bound) has ε = ∞: it POISONS the ledger, and no later release on the chain may
 * state a finite cumulative ε until an exact retrain from scratch resets the chain and the ledger
 * (`resetLedger`; docs/adr/0004-certified-bound-and-noise.md).
 * Adaptive choice of requests is not modelled beyond what composition already covers
 * (GDP/zCDP composition holds for adaptively chosen mechanisms; basic composition too).
 */
export interface PrivacyLedger {
  readonly releases: number;
  readonly exactReleases: number;
  readonly sumEpsilon: number;
  readonly sumDelta: number;
  /** Σ (Δ_k/σ_k)² over Gaussian releases (= 2·ρ_zCDP = μ_GDP²). */
  readonly sumMuSquared: number;
  /** Releases without a certified bound since the last reset (any > 0: cumulative ε = ∞). */
  readonly uncertifiedReleases: number;
}

export interface GaussianRelease {
  readonly kind: 'gaussian';
  readonly sigma: number;
  /** Δ_k, the certified bound the noise was calibrated to. */
  readonly sensitivity: number;
  /** The (ε, δ) the release's own certificate states. */
  readonly epsilon: number;
  readonly delta: number;
}

export interface ExactRelease {
  readonly kind: 'exact';
}

/** A release with no certified bound (paper-experiment σ, …): ε = ∞. */
export interface UncertifiedRelease {
  readonly kind: 'uncertified';
}

export type Release = GaussianRelease | ExactRelease | UncertifiedRelease;

export interface CumulativeGuarantee {
  readonly epsilon: number;
  readonly delta: number;
  /** 'uncertified': the chain holds an uncertified release; ε = ∞, δ = 1 (nothing is claimed). */
  readonly method: 'none' | 'basic' | 'gaussian-dp' | 'uncertified';
  readonly basic: { readonly epsilon: number; readonly delta: number };
  readonly gaussianDp: { readonly mu: number; readonly epsilon: number };
  readonly zcdp: { readonly rho: number; readonly epsilon: number };
}

export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

const fail = (
  code: 'PRIVACY_INVALID_PARAMS' | 'BUDGET_EXHAUSTED',
  message: string,
  details: Record<string, unknown> = {},
): never => {
  throw new UnlearningError(UnlearningErrorCodes[code], message, details);
};

export const emptyLedger: PrivacyLedger = Object.freeze({
  releases: 0,
  exactReleases: 0,
  sumEpsilon: 0,
  sumDelta: 0,
  sumMuSquared: 0,
  uncertifiedReleases: 0,
});

/** The ledger after an exact retrain from scratch: a fresh chain with nothing spent. */
export const resetLedger = (): PrivacyLedger => emptyLedger;

function checkLedger(l: PrivacyLedger): void {
  const ok =
    l !== null &&
    typeof l === 'object' &&
    Number.isInteger(l.releases) &&
    l.releases >= 0 &&
    Number.isInteger(l.exactReleases) &&
    l.exactReleases >= 0 &&
    Number.isInteger(l.uncertifiedReleases) &&
    l.uncertifiedReleases >= 0 &&
    [l.sumEpsilon, l.sumDelta, l.sumMuSquared].every(
      (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0,
    );
  if (!ok) fail('PRIVACY_INVALID_PARAMS', 'malformed privacy ledger', { ledger: l });
}

export function recordRelease(ledger: PrivacyLedger, release: Release): PrivacyLedger {
  checkLedger(ledger);
  if (release.kind === 'exact') {
    return Object.freeze({
      ...ledger,
      releases: ledger.releases + 1,
      exactReleases: ledger.exactReleases + 1,
    });
  }
  if (release.kind === 'uncertified') {
    return Object.freeze({
      ...ledger,
      releases: ledger.releases + 1,
      uncertifiedReleases: ledger.uncertifiedReleases + 1,
    });
  }
  if (release.kind !== 'gaussian')
    fail('PRIVACY_INVALID_PARAMS', 'unknown release kind', { release });
  const { sigma, sensitivity, epsilon, delta } = release;
  const pos = (x: number): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
  if (!pos(sigma) || !pos(sensitivity) || !pos(epsilon) || !(delta > 0 && delta < 1)) {
    fail(
      'PRIVACY_INVALID_PARAMS',
      'a Gaussian release needs sigma, sensitivity, epsilon > 0 and delta in (0, 1)',
      {
        sigma,
        sensitivity,
        epsilon,
        delta,
      },
    );
  }
  // Honesty check: a release may not state a smaller ε than its σ supports at its δ and Δ.
  const supported = analyticGaussianEpsilon(sigma, delta, sensitivity);
  if (epsilon < supported * (1 - 1e-9)) {
    fail('PRIVACY_INVALID_PARAMS', 'the release states a smaller epsilon than its sigma supports', {
      epsilon,
      supportedEpsilon: supported,
    });
  }
  const mu = sensitivity / sigma;
  return Object.freeze({
    releases: ledger.releases + 1,
    exactReleases: ledger.exactReleases,
    sumEpsilon: ledger.sumEpsilon + epsilon,
    sumDelta: ledger.sumDelta + delta,
    sumMuSquared: ledger.sumMuSquared + mu * mu,
    uncertifiedReleases: ledger.uncertifiedReleases,
  });
}

/**
 * The cumulative (ε, δ) of everything in the ledger. `delta` defaults to Σδ_k; a caller may ask
 * for the GDP/zCDP ε at another δ (the basic bound then only applies if delta ≥ Σδ_k).
 */
export function cumulativeGuarantee(
  ledger: PrivacyLedger,
  options: { delta?: number } = {},
): CumulativeGuarantee {
  checkLedger(ledger);
  const delta = options.delta ?? ledger.sumDelta;
  const basic = { epsilon: ledger.sumEpsilon, delta: ledger.sumDelta };
  const mu = Math.sqrt(ledger.sumMuSquared);
  const rho = ledger.sumMuSquared / 2;
  if (ledger.uncertifiedReleases > 0) {
    return {
      epsilon: Infinity,
      delta: 1,
      method: 'uncertified',
      basic: { epsilon: Infinity, delta: 1 },
      gaussianDp: { mu: Infinity, epsilon: Infinity },
      zcdp: { rho: Infinity, epsilon: Infinity },
    };
  }
  if (ledger.sumMuSquared === 0) {
    // Nothing noisy released: exact only (or nothing).
    return {
      epsilon: 0,
      delta: 0,
      method: 'none',
      basic,
      gaussianDp: { mu: 0, epsilon: 0 },
      zcdp: { rho: 0, epsilon: 0 },
    };
  }
  let gdpEps = Infinity;
  let zcdpEps = Infinity;
  if (delta > 0 && delta < 1) {
    gdpEps = analyticGaussianEpsilon(1, delta, mu);
    zcdpEps = rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
  }
  const basicApplies = delta >= basic.delta && basic.delta < 1;
  const useBasic = basicApplies && basic.epsilon <= gdpEps;
  return {
    epsilon: useBasic ? basic.epsilon : gdpEps,
    delta,
    method: useBasic ? 'basic' : 'gaussian-dp',
    basic,
    gaussianDp: { mu, epsilon: gdpEps },
    zcdp: { rho, epsilon: zcdpEps },
  };
}

export interface BudgetCheck {
  readonly withinBudget: boolean;
  readonly after: CumulativeGuarantee;
}

/** Would adding `release` keep the chain within `budget`? (Pure; nothing is recorded.) */
export function checkBudget(
  ledger: PrivacyLedger,
  release: Release,
  budget: PrivacyBudget,
): BudgetCheck {
  if (
    !(budget.epsilon >= 0) ||
    !(budget.delta >= 0) ||
    !Number.isFinite(budget.epsilon) ||
    !(budget.delta < 1)
  ) {
    fail('PRIVACY_INVALID_PARAMS', 'budget needs epsilon >= 0 finite and delta in [0, 1)', {
      ...budget,
    });
  }
  const after = cumulativeGuarantee(recordRelease(ledger, release));
  return { withinBudget: after.epsilon <= budget.epsilon && after.delta <= budget.delta, after };
}

/** recordRelease, or BUDGET_EXHAUSTED if the release would overspend. */
export function spend(
  ledger: PrivacyLedger,
  release: Release,
  budget: PrivacyBudget,
): PrivacyLedger {
  const check = checkBudget(ledger, release, budget);
  if (!check.withinBudget) {
    fail('BUDGET_EXHAUSTED', 'this release would exceed the cumulative privacy budget', {
      budget: { ...budget },
      after: { epsilon: check.after.epsilon, delta: check.after.delta },
    });
  }
  return recordRelease(ledger, release);
}
