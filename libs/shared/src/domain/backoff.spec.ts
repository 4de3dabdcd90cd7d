import { backoffCeilingMs, backoffDelayMs } from './backoff';

describe('backoff', () => {
  const policy = { baseDelayMs: 10, maxDelayMs: 500 };

  it('the ceiling doubles from the base and stops at the maximum', () => {
    expect([1, 2, 3, 4, 10, 1_000].map((n) => backoffCeilingMs(n, policy))).toEqual([
      10, 20, 40, 80, 500, 500,
    ]);
    expect(backoffCeilingMs(0, policy)).toBe(10);
  });

  it('full jitter stays below the ceiling', () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(1, policy, top)).toBe(9);
    expect(backoffDelayMs(2, policy, top)).toBe(19);
    expect(backoffDelayMs(4, policy, top)).toBe(79);
    expect(backoffDelayMs(10, policy, top)).toBe(499);
  });

  it('is jittered down to zero', () => {
    expect(backoffDelayMs(5, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(5, policy, () => 0.5)).toBe(80);
  });
});
