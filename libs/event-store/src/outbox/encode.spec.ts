import { encodeOutboxValue } from './encode';

describe('encodeOutboxValue', () => {
  it('keeps buffers, encodes strings as UTF-8 and objects as JSON, null as tombstone', () => {
    const b = Buffer.from([1, 2, 3]);
    expect(encodeOutboxValue(b)).toBe(b);
    expect(encodeOutboxValue('é')?.toString('hex')).toBe('c3a9');
    expect(encodeOutboxValue({ a: [1] })?.toString()).toBe('{"a":[1]}');
    expect(encodeOutboxValue(null)).toBeNull();
  });
});
