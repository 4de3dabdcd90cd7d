import { backoffDelayMs } from './retry-policy';

describe('backoffDelayMs (exponential, full jitter)', () => {
  const policy = { baseDelayMs: 10, maxDelayMs: 500 };

  it('caps at base · 2^(attempt-1) and at the maximum', () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(1, policy, top)).toBe(9);
    expect(backoffDelayMs(2, policy, top)).toBe(19);
    expect(backoffDelayMs(4, policy, top)).toBe(79);
    expect(backoffDelayMs(10, policy, top)).toBe(499);
    expect(backoffDelayMs(1_000, policy, top)).toBe(499);
  });

  it('is jittered down to zero', () => {
    expect(backoffDelayMs(5, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(5, policy, () => 0.5)).toBe(80);
  });
});
