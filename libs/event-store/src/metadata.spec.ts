import { withMetadata } from './metadata';

describe('withMetadata', () => {
  it('stamps ids, correlation, causation, actor, clock and schema version', () => {
    let i = 0;
    const out = withMetadata(
      [
        { type: 'A', data: 1 },
        { type: 'B', data: 2 },
      ],
      {
        correlationId: 'corr',
        causationId: 'cause',
        actor: 'system:test',
        now: () => new Date('2026-11-26T12:00:00Z'),
        newId: () => `id-${++i}`,
        schemaVersionOf: (t) => (t === 'B' ? 2 : 1),
      },
    );
    expect(out).toEqual([
      {
        type: 'A',
        data: 1,
        metadata: {
          messageId: 'id-1',
          correlationId: 'corr',
          causationId: 'cause',
          actor: 'system:test',
          occurredAt: '2026-11-26T12:00:00.000Z',
          schemaVersion: 1,
        },
      },
      expect.objectContaining({
        type: 'B',
        metadata: expect.objectContaining({ messageId: 'id-2', schemaVersion: 2 }),
      }),
    ]);
  });

  it('defaults to random uuids and version 1', () => {
    const [e] = withMetadata([{ type: 'A', data: null }], {
      correlationId: 'c',
      causationId: null,
      actor: 'a',
    });
    expect(e?.metadata.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e?.metadata.schemaVersion).toBe(1);
  });
});
