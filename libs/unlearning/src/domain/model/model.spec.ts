import { certifiedBound } from '../bound/certified-bound';
import { isUnlearningError } from '../errors';
import { calibrateSigma } from '../privacy/gaussian-mechanism';
import { assertHonestGuarantee, type Guarantee } from './guarantee';
import { parameterCount } from './training-profile';
import {
  toBoundInputs,
  validateUnlearningConstants,
  type UnlearningConstants,
} from './unlearning-constants';
import { isUnlearningMode } from './unlearning-mode';

const constants: UnlearningConstants = {
  C: 20,
  lambda: 1000,
  M: 1,
  lambdaMin: -0.5,
  lambdaMax: 40,
  G: 0.01,
  rho: 0.1,
  measured: ['lambdaMin', 'lambdaMax', 'G'],
  assumed: ['M'],
  settings: ['C', 'lambda', 'rho'],
};

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

  it('validates constant provenance: M must be assumed, lists disjoint, names known', () => {
    expect(() => validateUnlearningConstants(constants)).not.toThrow();
    expect(codeOf(() => validateUnlearningConstants({ ...constants, assumed: [] }))).toBe(
      'BOUND_INVALID_INPUT',
    );
    expect(
      codeOf(() =>
        validateUnlearningConstants({
          ...constants,
          measured: ['lambdaMin', 'lambdaMax', 'G', 'M'],
        }),
      ),
    ).toBe('BOUND_INVALID_INPUT');
    expect(
      codeOf(() =>
        validateUnlearningConstants({ ...constants, measured: ['lambdaMin', 'lambdaMax'] }),
      ),
    ).toBe('BOUND_INVALID_INPUT');
    expect(
      codeOf(() =>
        validateUnlearningConstants({
          ...constants,
          measured: ['foo', 'lambdaMin', 'lambdaMax', 'G'],
        }),
      ),
    ).toBe('BOUND_INVALID_INPUT');
    expect(codeOf(() => validateUnlearningConstants({ ...constants, assumed: ['M', 'L'] }))).toBe(
      'BOUND_INVALID_INPUT',
    ); // L has no value
  });

  it('toBoundInputs feeds certifiedBound', () => {
    const inputs = toBoundInputs(constants, {
      p: 26_506,
      n: 60_000,
      nU: 1000,
      form: 'nonconvergence',
      lissa: { S: 10, s: 1000, H: 2000, b: 10 },
      updateGradNorm: 0.02,
    });
    expect(inputs.lissa!.rho).toBe(0.1);
    const b = certifiedBound(inputs);
    expect(b.terms.newton).toBeCloseTo((2 * 20 * (20 + 1000)) / 999.5, 10);
  });

  describe('assertHonestGuarantee', () => {
    const bound = 40.8;
    const cal = calibrateSigma({ epsilon: 1, delta: 1e-5, sensitivity: bound });
    const certified: Guarantee = {
      type: 'certified',
      epsilon: 1,
      delta: 1e-5,
      sigma: cal.sigma,
      bound,
      mechanism: cal.mechanism,
      assumptions: { C: 20, lambda: 1000, M: 1, lambdaMin: 0, lambdaMax: 40, G: 0 },
      measured: ['lambdaMin', 'lambdaMax', 'G'],
      assumed: ['M'],
    };

    it('accepts a guarantee whose σ supports its (ε, δ)', () => {
      expect(() => assertHonestGuarantee(certified)).not.toThrow();
    });

    it('refuses a certified claim stronger than σ supports', () => {
      expect(codeOf(() => assertHonestGuarantee({ ...certified, sigma: cal.sigma / 2 }))).toBe(
        'PRIVACY_INVALID_PARAMS',
      );
      expect(codeOf(() => assertHonestGuarantee({ ...certified, bound: 2 * bound }))).toBe(
        'PRIVACY_INVALID_PARAMS',
      );
    });

    it('recomputes the bound from the recorded constants: an under-stated bound is refused', () => {
      // σ re-calibrated to the smaller bound, so only the recomputation can catch it.
      const low = 20;
      const lowSigma = calibrateSigma({ epsilon: 1, delta: 1e-5, sensitivity: low }).sigma;
      expect(
        codeOf(() => assertHonestGuarantee({ ...certified, bound: low, sigma: lowSigma })),
      ).toBe('PRIVACY_INVALID_PARAMS');
      // G and the LiSSA concentration term count too.
      const withG = { ...certified, assumptions: { ...certified.assumptions, G: 100 } };
      expect(codeOf(() => assertHonestGuarantee(withG))).toBe('PRIVACY_INVALID_PARAMS');
      const lissa = {
        ...certified,
        assumptions: {
          ...certified.assumptions,
          p: 100,
          rho: 0.1,
          lissaErrorForm: 'sqrt-p-over-rho',
          gradNormForLissa: 10,
        },
      };
      expect(codeOf(() => assertHonestGuarantee(lissa))).toBe('PRIVACY_INVALID_PARAMS');
      // A certified guarantee without its constants cannot be checked: refused.
      const { C: _c, ...noC } = certified.assumptions;
      expect(codeOf(() => assertHonestGuarantee({ ...certified, assumptions: noC }))).toBe(
        'PRIVACY_INVALID_PARAMS',
      );
    });

    it('refuses missing or inconsistent provenance', () => {
      expect(codeOf(() => assertHonestGuarantee({ ...certified, assumed: [] }))).toBe(
        'PRIVACY_INVALID_PARAMS',
      );
      expect(
        codeOf(() => assertHonestGuarantee({ ...certified, measured: ['lambdaMin', 'M'] })),
      ).toBe('PRIVACY_INVALID_PARAMS');
      expect(codeOf(() => assertHonestGuarantee({ ...certified, measured: ['rho'] }))).toBe(
        'PRIVACY_INVALID_PARAMS',
      );
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
      expect(codeOf(() => assertHonestGuarantee({ ...exact, epsilon: 0.1 }))).toBe(
        'PRIVACY_INVALID_PARAMS',
      );
      expect(codeOf(() => assertHonestGuarantee({ ...exact, sigma: 1 }))).toBe(
        'PRIVACY_INVALID_PARAMS',
      );
      expect(codeOf(() => assertHonestGuarantee({ ...exact, bound: 3 }))).toBe(
        'PRIVACY_INVALID_PARAMS',
      );
      const none: Guarantee = {
        ...exact,
        type: 'none',
        epsilon: null,
        delta: null,
        sigma: 1e-3,
        bound: null,
      };
      expect(() => assertHonestGuarantee(none)).not.toThrow();
      expect(codeOf(() => assertHonestGuarantee({ ...none, epsilon: 2e5, delta: 1e-5 }))).toBe(
        'PRIVACY_INVALID_PARAMS',
      );
    });
  });
});
