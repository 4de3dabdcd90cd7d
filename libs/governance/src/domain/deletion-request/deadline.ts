/** Which clock set a request's deadline (recorded on the event, shown to compliance). */
export type DeadlineBasis = 'gdpr' | 'ccpa' | 'event';

export interface Deadline {
  readonly at: string;
  readonly basis: DeadlineBasis;
}

const DAY_MS = 86_400_000;
export const CCPA_DAYS = 45;

/** Which statute a `legalBasis` string names (`gdpr-art-17`, `ccpa-1798.105`, ...). */
export const statuteOf = (legalBasis: string): 'gdpr' | 'ccpa' | null => {
  const b = legalBasis.toLowerCase();
  if (b.startsWith('gdpr')) return 'gdpr';
  if (b.startsWith('ccpa') || b.startsWith('cpra')) return 'ccpa';
  return null;
};

/**
 * GDPR Art. 12(3): "within one month of receipt". One calendar month later, clamped to the last
 * day of a shorter month (31 Jan → 28/29 Feb), same time of day, UTC.
 */
export const addOneCalendarMonth = (from: Date): Date => {
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const d = Math.min(from.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(
      y,
      m,
      d,
      from.getUTCHours(),
      from.getUTCMinutes(),
      from.getUTCSeconds(),
      from.getUTCMilliseconds(),
    ),
  );
};

/**
 * The deadline of a request: the statutory one for its legal basis, the event's own `deadline`,
 * or the earlier of the two when both exist. `null` when neither applies (the caller rejects).
 */
export const computeDeadline = (input: {
  readonly legalBasis: string;
  readonly clockStartsAt: string;
  readonly requestedDeadline: string | null;
}): Deadline | null => {
  const statute = statuteOf(input.legalBasis);
  const received = new Date(input.clockStartsAt);
  const statutory: Deadline | null =
    statute === 'gdpr'
      ? { at: addOneCalendarMonth(received).toISOString(), basis: 'gdpr' }
      : statute === 'ccpa'
        ? { at: new Date(received.getTime() + CCPA_DAYS * DAY_MS).toISOString(), basis: 'ccpa' }
        : null;
  const explicit: Deadline | null =
    input.requestedDeadline === null
      ? null
      : { at: new Date(input.requestedDeadline).toISOString(), basis: 'event' };
  if (statutory === null) return explicit;
  if (explicit === null) return statutory;
  return Date.parse(explicit.at) < Date.parse(statutory.at) ? explicit : statutory;
};
