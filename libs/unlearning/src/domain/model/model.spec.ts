import { certifiedBound } from '../bound/certified-bound';
import { lanczosMargin } from '../bound/spectrum-margin';
import { isUnlearningError } from '../errors';
import { calibrateSigma } from '../privacy/gaussian-mechanism';
import {
  assertHonestGuarantee,
  failedCertificationChecks,
  type CertificationChecks,
  type Guarantee,
} from './guarantee';
import { parameterCount } from './training-profile';
import { isUnlearningMode } from './unlearning-mode';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return isUnlearningError(e) ? e.code : 'other';
  }
  return undefined;
};

describe('model types', () => {
  it('parameterCount follows the layout (paper MLP: 26,506; logistic 784→10: 7,850)', () => {
    expect(parameterCount({ kind: 'mlp', layers: [784, 32, 32, 10], activation: 'relu' })).toBe(
      26_506,
    );
    expect(parameterCount({ kind: 'logistic-regression', inputDim: 784, classes: 10 })).toBe(7_850);
  });

  it('modes', () => {
    expect(isUnlearningMode('certified')).toBe(true);
    expect(isUnlearningMode('paper-experiment')).toBe(true);
    expect(isUnlearningMode('fast')).toBe(false);
  });
});

/** A certified guarantee as the engine builds it (settings and assumptions only). */
const certifiedFixture = (): Guarantee => {
  const b = certifiedBound({
    C: 20,
    lambda: 1000,
    M: 1,
    lambdaMin: -0.5,
    G: 0.01,
    n: 60_000,
    nU: 1000,
    form: 'nonconvergence',
    solverTolerance: 0.5,
  });
  const rho = 1e-6;
  const margin = lanczosMargin({ iterations: 30, dimension: 26_506, failureProbability: rho });
  const delta = 1e-5;
  const cal = calibrateSigma({ epsilon: 1, delta: delta - rho, sensitivity: b.bound });
  const c = b.constants;
  return {
    type: 'certified',
    epsilon: 1,
    delta,
    sigma: cal.sigma,
    bound: b.bound,
    mechanism: cal.mechanism,
    assumptions: {
      C: c.C,
      lambda: c.lambda,
      M: c.M,
      lambdaMin: c.lambdaMin,
      G: c.G,
      diameter: c.diameter,
      n: c.n,
      nU: c.nU,
      form: c.form,
      solverTolerance: c.solverTolerance,
      p: 26_506,
      activation: 'tanh',
      lanczosIterations: 30,
      spectrumFailureProbability: rho,
      spectrumMarginFactor: margin.factor,
      mechanismDelta: delta - rho,
    },
    measured: [],
    assumed: ['M', 'lambdaMin', 'G'],
    checks: ['spectrum', 'start-in-ball', 'gradient-proxy', 'residual'],
    method: 'newton-lissa',
    solver: { kind: 'lissa', S: 10, s: 1000, H: 2000, b: 10 },
  };
};

/** Private values that pass every check of the fixture. */
const passing: CertificationChecks = {
  ritz: { min: 1, max: 10 },
  startNorm: 19.9,
  gradientProxy: 0.005,
  residualNorm: 100,
};

describe('assertHonestGuarantee (the gate before a release leaves the engine)', () => {
  const certified = certifiedFixture();
  const withAssumption = (name: string, v: number | string): Guarantee => ({
    ...certified,
    assumptions: { ...certified.assumptions, [name]: v },
  });
  const refused = (g: Guarantee, checks?: CertificationChecks): void => {
    expect(codeOf(() => assertHonestGuarantee(g, checks))).toBe('PRIVACY_INVALID_PARAMS');
  };

  it('accepts the engine-shaped guarantee, with and without its private checks', () => {
    expect(() => assertHonestGuarantee(certified)).not.toThrow();
    expect(() => assertHonestGuarantee(certified, passing)).not.toThrow();
  });

  it('refuses a certified claim stronger than σ supports at the mechanism δ', () => {
    refused({ ...certified, sigma: certified.sigma / 2 });
    refused({ ...certified, bound: 2 * (certified.bound as number) });
  });

  it('recomputes the bound (newton + G + τ) from the recorded constants', () => {
    const low = (certified.bound as number) / 2;
    const lowSigma = calibrateSigma({ epsilon: 1, delta: 1e-5 - 1e-6, sensitivity: low }).sigma;
    refused({ ...certified, bound: low, sigma: lowSigma });
    refused(withAssumption('G', 100));
    refused(withAssumption('solverTolerance', 50));
    const { C: _c, ...noC } = certified.assumptions;
    refused({ ...certified, assumptions: noC });
    const { solverTolerance: _t, ...noTau } = certified.assumptions;
    refused({ ...certified, assumptions: noTau });
  });

  it('requires M > 0, a smooth activation, and M listed as assumed', () => {
    refused(withAssumption('M', 0));
    refused(withAssumption('activation', 'relu'));
    const { activation: _a, ...noActivation } = certified.assumptions;
    refused({ ...certified, assumptions: noActivation });
    refused({ ...certified, assumed: ['lambdaMin', 'G'] });
  });

  it('refuses a LiSSA guarantee without its LiSSA record, and a solver that does not match', () => {
    const { solver: _s, ...noSolver } = certified;
    refused(noSolver);
    refused({ ...certified, solver: { kind: 'lissa', S: 10, s: 1000 } });
    refused({ ...certified, solver: { kind: 'cg' } });
    const { method: _m, ...noMethod } = certified;
    refused(noMethod);
    expect(() =>
      assertHonestGuarantee({ ...certified, method: 'newton-cg', solver: { kind: 'cg' } }),
    ).not.toThrow();
  });

  it('accounts for ρ: δ ≥ mechanism δ + spectrum failure probability, margin ≥ the Lanczos bound', () => {
    refused(withAssumption('mechanismDelta', 1e-5)); // ρ left out of δ
    refused(withAssumption('spectrumFailureProbability', 0.1));
    const { spectrumFailureProbability: _r, ...noRho } = certified.assumptions;
    refused({ ...certified, assumptions: noRho });
    refused(withAssumption('spectrumMarginFactor', 0.05)); // the old heuristic 5 %
    refused(withAssumption('lanczosIterations', 5)); // too few steps for any margin < 1/2
  });

  it('publishes nothing measured: a non-empty `measured` is refused, for every type', () => {
    refused({
      ...withAssumption('lambdaMinRitz', 0.3),
      measured: ['lambdaMinRitz'],
    });
    const none: Guarantee = {
      type: 'none',
      epsilon: null,
      delta: null,
      sigma: 1e-3,
      bound: null,
      assumptions: { lambdaMin: 0.1 },
      measured: ['lambdaMin'],
      assumed: [],
    };
    refused(none);
  });

  it('re-runs the private checks: λ_min ≤ θ_min − m, ‖start‖ ≤ C, proxies ≤ G, residual ≤ τ', () => {
    expect(failedCertificationChecks(certified.assumptions, passing)).toEqual([]);
    // m = factor·(θ_max − θ_min); θ_min − m must stay ≥ λ_min = −0.5.
    const factor = certified.assumptions['spectrumMarginFactor'] as number;
    const tight = { min: -0.5 + factor * 10.5 * 0.5, max: 10 }; // half the margin needed
    expect(failedCertificationChecks(certified.assumptions, { ...passing, ritz: tight })).toEqual([
      'spectrum',
    ]);
    expect(
      failedCertificationChecks(certified.assumptions, {
        ritz: { min: -2, max: 10 },
        startNorm: 20.1,
        gradientProxy: 0.02,
        residualNorm: 0.5 * (1000 - 0.5) * 1.01,
      }),
    ).toEqual(['spectrum', 'start-in-ball', 'gradient-proxy', 'residual']);
    refused(certified, { ...passing, ritz: tight });
    refused(certified, { ...passing, residualNorm: 1e6 });
    // A guarantee that does not list the checks it passed is refused when they are given.
    refused({ ...certified, checks: ['spectrum'] }, passing);
  });

  it('exact must claim ε = δ = 0; none must claim nothing', () => {
    const exact: Guarantee = {
      type: 'exact',
      epsilon: 0,
      delta: 0,
      sigma: 0,
      bound: 0,
      assumptions: {},
      measured: [],
      assumed: [],
    };
    expect(() => assertHonestGuarantee(exact)).not.toThrow();
    refused({ ...exact, epsilon: 0.1 });
    refused({ ...exact, sigma: -1 });
    refused({ ...exact, sigma: Infinity });
    // A noisy retrain (convex-newton's reference mechanism) is still exact: noise is post-processing.
    expect(() => assertHonestGuarantee({ ...exact, sigma: 0.5 })).not.toThrow();
    refused({ ...exact, bound: 3 });
    const none: Guarantee = {
      ...exact,
      type: 'none',
      epsilon: null,
      delta: null,
      sigma: 1e-3,
      bound: null,
    };
    expect(() => assertHonestGuarantee(none)).not.toThrow();
    refused({ ...none, epsilon: 2e5, delta: 1e-5 });
  });
});
