import { addOneCalendarMonth, computeDeadline } from './deadline';

describe('deadline', () => {
  it('GDPR: one calendar month after the clock starts', () => {
    expect(
      computeDeadline({
        legalBasis: 'gdpr-art-17',
        clockStartsAt: '2026-11-26T12:00:00.000Z',
        requestedDeadline: null,
      }),
    ).toEqual({ at: '2026-12-26T12:00:00.000Z', basis: 'gdpr' });
  });

  it('GDPR month clamps to the end of a shorter month', () => {
    expect(addOneCalendarMonth(new Date('2027-01-31T08:00:00Z')).toISOString()).toBe(
      '2027-02-28T08:00:00.000Z',
    );
    expect(addOneCalendarMonth(new Date('2028-01-31T08:00:00Z')).toISOString()).toBe(
      '2028-02-29T08:00:00.000Z',
    );
    expect(addOneCalendarMonth(new Date('2026-12-15T00:00:00Z')).toISOString()).toBe(
      '2027-01-15T00:00:00.000Z',
    );
  });

  it('CCPA: 45 days', () => {
    expect(
      computeDeadline({
        legalBasis: 'ccpa-1798.105',
        clockStartsAt: '2026-01-01T00:00:00.000Z',
        requestedDeadline: null,
      }),
    ).toEqual({ at: '2026-02-15T00:00:00.000Z', basis: 'ccpa' });
  });

  it("the event's deadline wins when it is earlier than the statutory one", () => {
    expect(
      computeDeadline({
        legalBasis: 'gdpr-art-17',
        clockStartsAt: '2026-11-26T12:00:00.000Z',
        requestedDeadline: '2026-12-01T00:00:00Z',
      }),
    ).toEqual({ at: '2026-12-01T00:00:00.000Z', basis: 'event' });
    expect(
      computeDeadline({
        legalBasis: 'gdpr-art-17',
        clockStartsAt: '2026-11-26T12:00:00.000Z',
        requestedDeadline: '2027-06-01T00:00:00Z',
      })?.basis,
    ).toBe('gdpr');
  });

  it("an unknown legal basis takes the event's deadline, or none", () => {
    expect(
      computeDeadline({
        legalBasis: 'contract',
        clockStartsAt: '2026-11-26T12:00:00.000Z',
        requestedDeadline: '2027-01-01T00:00:00Z',
      }),
    ).toEqual({ at: '2027-01-01T00:00:00.000Z', basis: 'event' });
    expect(
      computeDeadline({
        legalBasis: 'contract',
        clockStartsAt: '2026-11-26T12:00:00.000Z',
        requestedDeadline: null,
      }),
    ).toBeNull();
  });
});
