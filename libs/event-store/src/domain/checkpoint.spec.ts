import {
  compareCheckpoints,
  formatCheckpoint,
  maxCheckpoint,
  sameCheckpoint,
  START,
} from './checkpoint';

describe('checkpoints order by (transactionId, position)', () => {
  const a = { transactionId: 10n, position: 500n };
  const b = { transactionId: 11n, position: 3n }; // later transaction, smaller position

  it('compares the transaction id first, then the position', () => {
    expect(compareCheckpoints(a, b)).toBe(-1);
    expect(compareCheckpoints(b, a)).toBe(1);
    expect(compareCheckpoints(a, { transactionId: 10n, position: 501n })).toBe(-1);
    expect(compareCheckpoints(a, { ...a })).toBe(0);
    expect(compareCheckpoints(START, a)).toBe(-1);
  });

  it('max and equality', () => {
    expect(maxCheckpoint(a, b)).toBe(b);
    expect(maxCheckpoint(b, a)).toBe(b);
    expect(sameCheckpoint(a, { ...a })).toBe(true);
    expect(sameCheckpoint(a, b)).toBe(false);
  });

  it('formats for logs', () => {
    expect(formatCheckpoint(b)).toBe('11:3');
  });
});
