import { assertValidExpectedVersion, matchesExpectedVersion } from './expected-version';

describe('expected version', () => {
  it.each([
    ['any', 0, true],
    ['any', 7, true],
    ['no-stream', 0, true],
    ['no-stream', 1, false],
    [0, 0, true],
    [0, 1, false],
    [3, 3, true],
    [3, 4, false],
  ] as const)('%s against actual %d → %s', (expected, actual, result) => {
    expect(matchesExpectedVersion(expected, actual)).toBe(result);
  });

  it('rejects negative or fractional versions', () => {
    expect(() => assertValidExpectedVersion(-1)).toThrow(RangeError);
    expect(() => assertValidExpectedVersion(1.5)).toThrow(RangeError);
    expect(() => assertValidExpectedVersion(2)).not.toThrow();
  });
});
