import { requestIdFor, requestedEventIdFor, uuidFromName } from './ids';

describe('ids', () => {
  it('derives the same request id from the same CloudEvent id, a different one otherwise', () => {
    expect(requestIdFor('evt-1')).toBe(requestIdFor('evt-1'));
    expect(requestIdFor('evt-1')).not.toBe(requestIdFor('evt-2'));
    expect(requestIdFor('evt-1')).not.toBe(requestedEventIdFor('evt-1'));
  });

  it('makes RFC 9562 version-8 UUIDs', () => {
    expect(uuidFromName('x')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
