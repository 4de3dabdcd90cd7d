import type { MessageMetadata } from '@lethe/shared';
import type { RecordedEvent } from './event';
import { UpcasterRegistry } from './upcasting';

const metadata: MessageMetadata = {
  messageId: '00000000-0000-4000-8000-000000000001',
  correlationId: 'c',
  causationId: null,
  actor: 'system:test',
  occurredAt: '2026-11-26T12:00:00.000Z',
  schemaVersion: 1,
};

function recorded(type: string, schemaVersion: number, data: unknown): RecordedEvent {
  return {
    type,
    data,
    metadata: { ...metadata, schemaVersion },
    eventId: metadata.messageId,
    streamId: 's-1',
    streamVersion: 1,
    globalPosition: 1n,
    transactionId: 700n,
    schemaVersion,
    recordedAt: new Date(0),
  };
}

describe('UpcasterRegistry', () => {
  const registry = new UpcasterRegistry([
    // v1 → v2: split a full name into parts
    {
      type: 'UserRenamed',
      fromVersion: 1,
      upcast: (data) => {
        const { name } = data as { name: string };
        const [first = '', last = ''] = name.split(' ');
        return { data: { first, last } };
      },
    },
    // v2 → v3: add a default and rename the type
    {
      type: 'UserRenamed',
      fromVersion: 2,
      upcast: (data) => ({ data: { ...(data as object), locale: 'en' }, type: 'UserNameChanged' }),
    },
  ]);

  it('chains upcasters from the stored version to the newest, renaming the type', () => {
    const out = registry.upcast(recorded('UserRenamed', 1, { name: 'Ada Lovelace' }));
    expect(out.type).toBe('UserNameChanged');
    expect(out.schemaVersion).toBe(3);
    expect(out.metadata.schemaVersion).toBe(3);
    expect(out.data).toEqual({ first: 'Ada', last: 'Lovelace', locale: 'en' });
    expect(out.globalPosition).toBe(1n);
  });

  it('starts from the stored version (a v2 event only gets the v2 → v3 step)', () => {
    const out = registry.upcast(recorded('UserRenamed', 2, { first: 'A', last: 'B' }));
    expect(out.data).toEqual({ first: 'A', last: 'B', locale: 'en' });
    expect(out.schemaVersion).toBe(3);
  });

  it('returns the very same object when nothing applies', () => {
    const e = recorded('Other', 1, { x: 1 });
    expect(registry.upcast(e)).toBe(e);
  });

  it('does not mutate the stored event', () => {
    const e = recorded('UserRenamed', 1, { name: 'Ada Lovelace' });
    registry.upcast(e);
    expect(e.data).toEqual({ name: 'Ada Lovelace' });
    expect(e.schemaVersion).toBe(1);
  });

  it('refuses two upcasters for the same (type, version) with a coded error', () => {
    const u = { type: 'T', fromVersion: 1, upcast: (d: unknown) => ({ data: d }) };
    expect(() => new UpcasterRegistry([u, u])).toThrow(
      expect.objectContaining({ code: 'UPCASTER_DUPLICATE' }),
    );
  });
});
