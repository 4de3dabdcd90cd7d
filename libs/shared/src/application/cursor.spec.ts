import { z } from 'zod';
import { decodeCursor, encodeCursor } from './cursor';

describe('cursors', () => {
  const shape = z.object({ t: z.string(), i: z.number().int() }).strict();

  it('round-trip a position', () => {
    const c = encodeCursor({ t: '1795000000000123', i: 7 });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(shape, c)).toEqual({ t: '1795000000000123', i: 7 });
  });

  it('refuse what is not one of theirs with INVALID_CURSOR', () => {
    for (const bad of ['%%%', encodeCursor({ x: 1 }), Buffer.from('[1').toString('base64url')]) {
      expect(() => decodeCursor(shape, bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_CURSOR', kind: 'validation' }),
      );
    }
  });
});
