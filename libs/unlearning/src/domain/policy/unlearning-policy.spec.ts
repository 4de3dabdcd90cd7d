import { isUnlearningError } from '../errors';
import { emptyLedger, recordRelease, type PrivacyLedger } from '../privacy/accountant';
import { calibrateSigma } from '../privacy/gaussian-mechanism';
import { decideUnlearningAction, type UnlearningPolicyInput } from './unlearning-policy';

const sensitivity = 2;
const target = { epsilon: 1, delta: 1e-5 };
const { sigma } = calibrateSigma({ ...target, sensitivity });

const given = (overrides: Partial<UnlearningPolicyInput> = {}): UnlearningPolicyInput => ({
  mode: 'certified',
  target,
  sigma,
  sensitivity,
  accuracyFloor: 0.9,
  predictedAccuracyWithNoise: 0.95,
  cumulativeBudget: { epsilon: 5, delta: 1e-3 },
  spent: emptyLedger,
  retrainAllowed: true,
  ...overrides,
});

const spentAfter = (k: number): PrivacyLedger => {
  let l = emptyLedger;
  for (let i = 0; i < k; i++)
    l = recordRelease(l, { kind: 'gaussian', sigma, sensitivity, ...target });
  return l;
};

describe('decideUnlearningAction', () => {
  it('given accuracy above the floor and budget left, when deciding, then newton', () => {
    const d = decideUnlearningAction(given());
    expect(d.action).toBe('newton');
    expect(d.accuracyCheck).toBe('passed');
    expect(d.projected!.epsilon).toBeLessThanOrEqual(1);
  });

  it('given σ that breaks the accuracy floor and retrain allowed, then retrain with the reason', () => {
    const d = decideUnlearningAction(given({ predictedAccuracyWithNoise: 0.42 }));
    expect(d.action).toBe('retrain');
    expect(d.accuracyCheck).toBe('failed');
    expect(d.reasons.join(' ')).toMatch(/below the floor 0.9/);
    expect(d.reasons.join(' ')).toMatch(/exact, epsilon = 0/);
    // Stable codes (publishable after the private ones are folded), no values in them.
    expect(d.codes).toEqual(['accuracy-floor', 'retrain-instead']);
  });

  it('given σ that breaks the accuracy floor and retrain not allowed, then needs-retrain', () => {
    const d = decideUnlearningAction(
      given({ predictedAccuracyWithNoise: 0.42, retrainAllowed: false }),
    );
    expect(d.action).toBe('needs-retrain');
    expect(d.reasons.join(' ')).toMatch(/needs-retrain/);
    expect(d.codes).toEqual(['accuracy-floor', 'retrain-not-allowed']);
  });

  it('given a chain whose budget this release would overspend, then retrain (never a weak certificate)', () => {
    const d = decideUnlearningAction(
      given({ spent: spentAfter(40), cumulativeBudget: { epsilon: 3, delta: 1e-3 } }),
    );
    expect(d.projected!.epsilon).toBeGreaterThan(3);
    expect(d.action).toBe('retrain');
    expect(d.reasons[0]).toMatch(/cumulative budget exceeded/);
    expect(d.codes).toEqual(['budget-exceeded', 'retrain-instead']);
  });

  it('given the δ budget would be exceeded, then needs-retrain when retrain is not allowed', () => {
    const d = decideUnlearningAction(
      given({
        spent: spentAfter(3),
        cumulativeBudget: { epsilon: 100, delta: 3e-5 },
        retrainAllowed: false,
      }),
    );
    expect(d.action).toBe('needs-retrain');
    expect(d.reasons[0]).toMatch(/budget exceeded/);
  });

  it('given just enough budget left, then newton', () => {
    const d = decideUnlearningAction(
      given({ spent: spentAfter(3), cumulativeBudget: { epsilon: 5, delta: 4e-5 } }),
    );
    expect(d.action).toBe('newton');
  });

  it('given no valid bound, then retrain with the reason', () => {
    const d = decideUnlearningAction(
      given({ certifiable: false, notCertifiableReason: 'LISSA_DIVERGED' }),
    );
    expect(d.action).toBe('retrain');
    expect(d.reasons[0]).toMatch(/LISSA_DIVERGED/);
    expect(d.codes).toEqual(['not-certifiable', 'retrain-instead']);
  });

  it('given σ above the model cap, then retrain', () => {
    const d = decideUnlearningAction(given({ maxSigma: sigma / 2 }));
    expect(d.action).toBe('retrain');
    expect(d.reasons[0]).toMatch(/maximum sigma/);
    expect(d.codes).toEqual(['max-sigma', 'retrain-instead']);
  });

  it('given a floor but no accuracy measured, then the release is blocked (honesty rule)', () => {
    const { predictedAccuracyWithNoise: _omit, ...rest } = given();
    const d = decideUnlearningAction(rest);
    expect(d.action).toBe('retrain');
    expect(d.accuracyCheck).toBe('unchecked');
    expect(d.reasons[0]).toMatch(/accuracy floor set but not measured/);
    const parked = decideUnlearningAction({ ...rest, retrainAllowed: false });
    expect(parked.action).toBe('needs-retrain');
  });

  it('given exact mode, then retrain; given paper-experiment mode, then newton with guarantee none', () => {
    expect(decideUnlearningAction(given({ mode: 'exact' })).action).toBe('retrain');
    const p = decideUnlearningAction(
      given({ mode: 'paper-experiment', predictedAccuracyWithNoise: 0.1 }),
    );
    expect(p.action).toBe('newton');
    expect(p.reasons[0]).toMatch(/guarantee "none"/);
  });

  it('given several failures, then every reason is listed', () => {
    const d = decideUnlearningAction(
      given({
        predictedAccuracyWithNoise: 0.5,
        maxSigma: 1e-3,
        spent: spentAfter(40),
        cumulativeBudget: { epsilon: 3, delta: 1e-3 },
      }),
    );
    expect(
      d.reasons.filter((r) => /below the floor|maximum sigma|budget exceeded/.test(r)),
    ).toHaveLength(3);
  });

  it('given malformed input, then POLICY_INVALID_INPUT', () => {
    for (const bad of [
      given({ sigma: 0 }),
      given({ accuracyFloor: 1.5 }),
      given({ target: { epsilon: 1, delta: 2 } }),
    ]) {
      let caught: unknown;
      try {
        decideUnlearningAction(bad);
      } catch (e) {
        caught = e;
      }
      expect(isUnlearningError(caught, 'POLICY_INVALID_INPUT')).toBe(true);
    }
  });
});
