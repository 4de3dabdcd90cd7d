import { isDomainError } from '@lethe/shared';
import { parseComplianceRange } from './compliance-range';

const codeOf = (query: unknown): string | undefined => {
  try {
    parseComplianceRange(query);
  } catch (e) {
    return isDomainError(e) ? `${e.kind}:${e.code}` : 'not coded';
  }
  return undefined;
};

describe("the compliance routes' ?from=&to=", () => {
  it('takes RFC 3339 date-times and dates (midnight UTC); both ends optional', () => {
    expect(parseComplianceRange({})).toEqual({});
    expect(parseComplianceRange({ from: '2026-11-01', to: '2026-11-29T12:00:00+01:00' })).toEqual({
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-11-29T11:00:00Z'),
    });
  });

  it('refuses bad input with a code, a validation error (400)', () => {
    expect(codeOf({ from: 'yesterday' })).toBe('validation:SCHEMA_VIOLATION');
    expect(codeOf({ from: ['2026-11-01', '2026-11-02'] })).toBe('validation:SCHEMA_VIOLATION');
    expect(codeOf({ since: '2026-11-01' })).toBe('validation:SCHEMA_VIOLATION');
    expect(codeOf({ from: '2026-13-45' })).toBe('validation:INVALID_TIME_RANGE');
    expect(codeOf({ from: '2026-11-02', to: '2026-11-01' })).toBe('validation:INVALID_TIME_RANGE');
    expect(codeOf({ from: '2026-11-01', to: '2026-11-01' })).toBe('validation:INVALID_TIME_RANGE');
  });
});
