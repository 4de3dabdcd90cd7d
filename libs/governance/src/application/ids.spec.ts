import { requestIdFor, requestedEventIdFor, uuidFromName } from './ids';

describe('ids', () => {
  const crm = 'urn:app:crm';
  const billing = 'urn:app:billing';

  it('derives the same request id from the same (source, id), a different one otherwise', () => {
    expect(requestIdFor(crm, 'evt-1')).toBe(requestIdFor(crm, 'evt-1'));
    expect(requestIdFor(crm, 'evt-1')).not.toBe(requestIdFor(crm, 'evt-2'));
    expect(requestIdFor(crm, 'evt-1')).not.toBe(requestedEventIdFor(crm, 'evt-1'));
  });

  it('keys on the pair: the same id from two sources makes two requests', () => {
    expect(requestIdFor(crm, 'order-1')).not.toBe(requestIdFor(billing, 'order-1'));
    expect(requestedEventIdFor(crm, 'order-1')).not.toBe(requestedEventIdFor(billing, 'order-1'));
  });

  it('encodes the pair unambiguously (no separator can be shifted between the two parts)', () => {
    const pairs: [string, string][] = [
      ['a:b', 'c'],
      ['a', 'b:c'],
      ['a', 'bc'],
      ['ab', 'c'],
      ['a","b', 'c'],
      ['a', 'b","c'],
      ['', 'abc'],
      ['abc', ''],
    ];
    const ids = new Set(pairs.map(([s, i]) => requestIdFor(s, i)));
    expect(ids.size).toBe(pairs.length);
  });

  it('makes RFC 9562 version-8 UUIDs', () => {
    const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(uuidFromName('x')).toMatch(shape);
    expect(requestIdFor(crm, 'x')).toMatch(shape);
    expect(requestedEventIdFor(crm, 'x')).toMatch(shape);
  });
});
