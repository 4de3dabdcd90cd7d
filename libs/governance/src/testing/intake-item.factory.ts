import type { DeletionIntakeItem } from '../application/commands/request-deletion/request-deletion.command';
import type { DeletionRequestedCloudEvent } from '../application/commands/request-deletion/request-deletion.dto';

/** Seeded PRNG (mulberry32): the same sequence on every run. */
export const seededRandom = (seed: number): (() => number) => {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const SOURCES = [
  'urn:lethe:app:crm',
  'urn:app:billing',
  'https://example.org/a"b\\c',
  'urn:ünïcödé:日本',
  'urn:x\u0001y',
];
const SUBJECTS = ['user-1', 'ü', '\ud800', 'e\u0301', '\ud83d\ude00', 'a'.repeat(200), 'x"y\\z'];
const BASES = ['gdpr-art-17', 'GDPR-Art-17', 'ccpa-1798.105', 'CPRA-x', 'lgpd-art-18', 'other'];
const INSTANTS = [
  '2026-11-26T12:00:00Z',
  '2026-11-26T12:00:00.5+01:00',
  '2024-02-29T23:59:59.999-00:30',
  '2026-01-31T00:00:00.000Z',
  '2027-03-31T10:00:00.123456Z',
  '1999-12-31T23:59:59+14:00',
];
const DATASETS = ['ds-a', 'ds-b', 'ds-c', 'ds-unknown'];
/** The datasets the factory's scopes name that are registered (`ds-unknown` is not). */
export const KNOWN_DATASETS: ReadonlySet<string> = new Set(['ds-a', 'ds-b', 'ds-c']);

/**
 * Valid deletion CloudEvents (as the door's validator outputs them) of every shape the intake
 * handles, seeded: with and without `time`, `deadline`, `scope` (empty, one list, both, an
 * unknown dataset), statutory and other legal bases (some then refused with DEADLINE_REQUIRED),
 * escapes and non-ASCII text in ids, and (source, id) keys repeated within the batch, with the
 * same content or other content. `receivedAt` is one Date for the batch, as a Kafka round gives.
 */
export const seededIntakeItems = (
  seed: number,
  n: number,
  receivedAt = new Date('2026-11-26T12:00:00.250Z'),
): DeletionIntakeItem[] => {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const items: DeletionIntakeItem[] = [];
  for (let i = 0; i < n; i++) {
    const previous = items.length > 0 ? items[Math.floor(r() * items.length)] : undefined;
    const repeat = previous !== undefined && r() < 0.05;
    const source = repeat ? previous.event.source : pick(SOURCES);
    const id = repeat ? previous.event.id : `evt-${seed}-${i}${r() < 0.1 ? '-ü"' : ''}`;
    if (repeat && r() < 0.5) {
      items.push({ ...previous, correlationId: r() < 0.5 ? `corr-${i}` : undefined });
      continue;
    }
    const subjectId = r() < 0.3 ? pick(SUBJECTS) : `user-${seed}-${i}`;
    const data: Record<string, unknown> = { subjectId };
    const shape = r();
    if (shape < 0.15) data.scope = {};
    else if (shape < 0.3)
      data.scope = { datasetIds: [pick(DATASETS), 'ds-a'].filter((d, k, a) => a.indexOf(d) === k) };
    else if (shape < 0.4) data.scope = { recordIds: [`r-${i}`, 'r-0'] };
    else if (shape < 0.5) data.scope = { datasetIds: ['ds-b'], recordIds: ['r-2', 'r-1'] };
    data.legalBasis = r() < 0.6 ? 'gdpr-art-17' : pick(BASES);
    if (r() < 0.3) data.deadline = pick(INSTANTS);
    const event: Record<string, unknown> = {
      specversion: '1.0',
      id,
      source,
      type: 'lethe.deletion.requested.v1',
    };
    if (r() < 0.3) event.subject = subjectId;
    if (r() < 0.7)
      event.time =
        r() < 0.5
          ? pick(INSTANTS)
          : new Date(receivedAt.getTime() - Math.floor(r() * 4e9) + 2e9).toISOString();
    if (r() < 0.5) event.datacontenttype = 'application/json';
    event.data = data;
    items.push({
      event: event as unknown as DeletionRequestedCloudEvent,
      receivedAt,
      correlationId: r() < 0.5 ? `corr-${i}` : undefined,
    });
  }
  return items;
};

/** The bench's event shape (bench/intake): gdpr, a `time`, no scope, no deadline, unique keys. */
export const benchIntakeItems = (
  n: number,
  receivedAt = new Date('2026-11-26T12:00:00.250Z'),
): DeletionIntakeItem[] =>
  Array.from({ length: n }, (_, j) => {
    const subjectId = `user-bench-${j}`;
    return {
      event: {
        specversion: '1.0',
        id: `bench-${j}`,
        source: 'urn:lethe:bench',
        type: 'lethe.deletion.requested.v1',
        subject: subjectId,
        time: new Date(receivedAt.getTime() - 1000 + j).toISOString(),
        datacontenttype: 'application/json',
        data: { subjectId, legalBasis: 'gdpr-art-17' },
      },
      receivedAt,
      correlationId: `bench-${j}`,
    };
  });
