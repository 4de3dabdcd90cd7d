import { deletionRequestedSchema } from '../../../contracts/deletion-requested.v1';
import { commonShapeOf, DeletionRequestValidator } from './request-deletion.dto';

const validator = new DeletionRequestValidator(4096);
const valid = {
  specversion: '1.0',
  id: '2b7c1c7e-5d0a-4a59-9a7e-0c1f4d1f8a10',
  source: 'urn:lethe:app:crm',
  type: 'lethe.deletion.requested.v1',
  subject: 'user-42',
  time: '2026-11-26T12:00:00Z',
  datacontenttype: 'application/json',
  data: {
    subjectId: 'user-42',
    scope: { datasetIds: ['mnist-demo'], recordIds: ['r-17', 'r-18'] },
    legalBasis: 'gdpr-art-17',
    deadline: '2026-12-26T12:00:00Z',
  },
};
const codeOf = (input: Buffer | null) => {
  const r = validator.fromBytes(input);
  return r.ok ? 'OK' : r.error.code;
};
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const mutate = (f: (e: typeof valid & Record<string, unknown>) => void) => {
  const e = structuredClone(valid) as typeof valid & Record<string, unknown>;
  f(e);
  return json(e);
};

describe('DeletionRequestValidator', () => {
  it('accepts the docs/contracts.md §3 example, and the minimal event', () => {
    expect(codeOf(json(valid))).toBe('OK');
    expect(
      codeOf(
        json({
          specversion: '1.0',
          id: 'x',
          source: 's',
          type: 'lethe.deletion.requested.v1',
          data: { subjectId: 'u', legalBasis: 'ccpa-1798.105' },
        }),
      ),
    ).toBe('OK');
  });

  it('accepts CloudEvents extension attributes and drops them', () => {
    const r = validator.fromValue({ ...valid, traceparent: '00-abc-def-01' });
    expect(r.ok && Object.hasOwn(r.value, 'traceparent')).toBe(false);
    expect(r.ok).toBe(true);
  });

  it('names the path of every violation, as a JSON pointer', () => {
    const r = validator.fromValue({ ...valid, data: { ...valid.data, subjectId: 7, email: 'x' } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const paths = (r.error.details.violations as { path: string }[]).map((v) => v.path);
      expect(paths).toEqual(expect.arrayContaining(['/data/subjectId', '/data']));
    }
  });

  it.each([
    ['empty value', null, 'INVALID_JSON'],
    ['truncated JSON', Buffer.from('{"id": '), 'INVALID_JSON'],
    ['invalid UTF-8', Buffer.from([0x22, 0xff, 0x22]), 'INVALID_JSON'],
    ['too large', Buffer.alloc(5000, 0x20), 'PAYLOAD_TOO_LARGE'],
    ['an array', json([valid]), 'SCHEMA_VIOLATION'],
    ['another type', mutate((e) => (e.type = 'lethe.other.v1')), 'UNKNOWN_TYPE'],
    ['another specversion', mutate((e) => (e.specversion = '0.3')), 'UNSUPPORTED_SPECVERSION'],
    [
      'another content type',
      mutate((e) => (e.datacontenttype = 'text/xml')),
      'UNSUPPORTED_CONTENT_TYPE',
    ],
    ['missing id', mutate((e) => delete (e as Record<string, unknown>).id), 'SCHEMA_VIOLATION'],
    ['id over 200 chars', mutate((e) => (e.id = 'x'.repeat(201))), 'SCHEMA_VIOLATION'],
    [
      'subjectId a number',
      mutate((e) => ((e.data as Record<string, unknown>).subjectId = 42)),
      'SCHEMA_VIOLATION',
    ],
    ['bad deadline', mutate((e) => (e.data.deadline = 'next week')), 'SCHEMA_VIOLATION'],
    [
      'unknown data field',
      mutate((e) => ((e.data as Record<string, unknown>).email = 'a@b')),
      'SCHEMA_VIOLATION',
    ],
    [
      'duplicate record ids',
      mutate((e) => (e.data.scope.recordIds = ['r-17', 'r-17'])),
      'SCHEMA_VIOLATION',
    ],
    ['empty dataset list', mutate((e) => (e.data.scope.datasetIds = [])), 'SCHEMA_VIOLATION'],
    ['bad legalBasis', mutate((e) => (e.data.legalBasis = '-gdpr')), 'SCHEMA_VIOLATION'],
    ['time without offset', mutate((e) => (e.time = '2026-11-26T12:00:00')), 'SCHEMA_VIOLATION'],
    ['dataschema not a URI', mutate((e) => (e.dataschema = 'not a uri')), 'SCHEMA_VIOLATION'],
    ['subject differs', mutate((e) => (e.subject = 'user-43')), 'SUBJECT_MISMATCH'],
    [
      'no statute and no deadline',
      mutate((e) => {
        e.data.legalBasis = 'contract';
        delete (e.data as Record<string, unknown>).deadline;
      }),
      'DEADLINE_REQUIRED',
    ],
  ])('refuses %s with %s', (_name, input, code) => {
    expect(codeOf(input)).toBe(code);
  });

  it('never quotes input values (subject ids) in its messages', () => {
    const r = validator.fromBytes(Buffer.from('{"subjectId": "user-secret-99", oops}'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).not.toContain('user-secret-99');
    const s = validator.fromValue({ ...valid, data: { ...valid.data, subjectId: 7 } });
    if (!s.ok) expect(JSON.stringify(s.error)).not.toContain('user-42');
  });
});

describe('commonShapeOf (the validator’s fast path) against the zod schema', () => {
  /** Seeded PRNG (mulberry32): the same events on every run. */
  const rng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ABSENT = Symbol('absent');
  const str = (n: number, c = 'a') => c.repeat(n);
  const ids = (max: number) => ['x', 'user-42', 'ü', '\ud800', str(max), str(max + 1), '', 7, null];
  const instants = [
    '2026-11-26T12:00:00Z',
    '2026-11-26T12:00:00.123456+05:30',
    '2026-11-26T12:00Z',
    '2024-02-29T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-26T24:00:00Z',
    '2026-11-26T12:00:00z',
    '2026-11-26 12:00:00Z',
    '2026-11-26T12:00:00',
    '2026-11-26',
    '',
    0,
  ];
  const ID_LISTS = [['a'], ['a', 'b', 'c'], ['a', 'a'], [], ['a', str(201)], ['a', 3], 'a', null];
  /** The size limits, for a rare pick (a 10,001-item list is slow to compare). */
  const atLimits = (max: number) => [
    Array.from({ length: max }, (_, i) => `r${i}`),
    Array.from({ length: max + 1 }, (_, i) => `r${i}`),
  ];
  const DATASET_LISTS = [...ID_LISTS, ...atLimits(100)];
  const RECORD_LISTS = ID_LISTS;
  const RECORD_LIMITS = atLimits(10_000);
  const scopes = [
    {},
    { datasetIds: ['d1'] },
    { recordIds: ['r1', 'r2'] },
    { datasetIds: ['d1'], recordIds: ['r1'] },
    { datasetIds: ['d1'], extra: 1 },
    { datasetIds: undefined },
    [],
    null,
  ];
  const legalBases = [
    'gdpr-art-17',
    'ccpa-1798.105',
    'internal.policy_v2',
    str(64, 'g'),
    str(65, 'g'),
    '-gdpr',
    'gdpr art 17',
    'gdpr-é',
    '',
    17,
  ];
  const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  /** A value for an optional member: mostly a valid one, sometimes absent, undefined or odd. */
  const maybe = (r: () => number, valid: readonly unknown[], odd: readonly unknown[]) => {
    const x = r();
    if (x < 0.35) return ABSENT;
    if (x < 0.4) return undefined;
    return x < 0.85 ? pick(r, valid) : pick(r, odd);
  };
  const put = (o: Record<string, unknown>, k: string, v: unknown) => {
    if (v !== ABSENT) o[k] = v;
  };

  const eventOf = (r: () => number): Record<string, unknown> => {
    const data: Record<string, unknown> = {};
    put(data, 'subjectId', r() < 0.9 ? pick(r, ids(200).slice(0, 5)) : pick(r, ids(200)));
    const scope = (() => {
      if (r() < 0.5) return pick(r, scopes);
      const s: Record<string, unknown> = {};
      put(s, 'datasetIds', maybe(r, DATASET_LISTS.slice(0, 2), DATASET_LISTS));
      put(
        s,
        'recordIds',
        r() < 0.003 ? pick(r, RECORD_LIMITS) : maybe(r, RECORD_LISTS.slice(0, 2), RECORD_LISTS),
      );
      return s;
    })();
    put(data, 'scope', r() < 0.4 ? ABSENT : scope);
    put(data, 'legalBasis', r() < 0.85 ? pick(r, legalBases.slice(0, 4)) : pick(r, legalBases));
    put(data, 'deadline', maybe(r, instants.slice(0, 4), instants));
    if (r() < 0.05) data.email = 'x@y';
    const e: Record<string, unknown> = {};
    put(e, 'specversion', r() < 0.95 ? '1.0' : pick(r, ['0.3', ABSENT, 1]));
    put(e, 'id', r() < 0.9 ? pick(r, ids(200).slice(0, 5)) : pick(r, ids(200)));
    put(e, 'source', r() < 0.9 ? pick(r, ['urn:app:crm', str(500)]) : pick(r, ids(500)));
    put(e, 'type', r() < 0.95 ? 'lethe.deletion.requested.v1' : pick(r, [ABSENT, 'other', 3]));
    put(e, 'subject', maybe(r, ids(200).slice(0, 5), ids(200)));
    put(e, 'time', maybe(r, instants.slice(0, 4), instants));
    put(e, 'datacontenttype', maybe(r, ['application/json'], ['text/plain', 1]));
    if (r() < 0.05) put(e, 'dataschema', pick(r, ['https://lethe.dev/s.json', 'not a url']));
    if (r() < 0.1) e.traceparent = '00-abc-def-01';
    put(e, 'data', r() < 0.97 ? data : pick(r, [null, [], 'data', ABSENT]));
    return e;
  };

  it('answers exactly what the schema outputs whenever it answers, over 10,000 generated events', () => {
    const r = rng(20261130);
    let fast = 0;
    let valid = 0;
    for (let i = 0; i < 10_000; i++) {
      const event = eventOf(r);
      const mine = commonShapeOf(event);
      const theirs = deletionRequestedSchema.safeParse(event);
      if (theirs.success) valid += 1;
      if (mine === undefined) continue;
      fast += 1;
      expect(theirs.success).toBe(true);
      if (!theirs.success) continue;
      expect(mine).toStrictEqual(theirs.data);
      expect(JSON.stringify(mine)).toBe(JSON.stringify(theirs.data)); // the members' order too
    }
    // Not vacuous: most events the schema accepts take the fast path.
    expect(valid).toBeGreaterThan(1_000);
    expect(fast).toBeGreaterThan(valid * 0.6);
  });

  it('takes the fast path for the documented example, and the validator answers the same with or without it', () => {
    expect(commonShapeOf(valid)).toStrictEqual(deletionRequestedSchema.parse(valid));
    const r = rng(7);
    for (let i = 0; i < 2_000; i++) {
      const event = eventOf(r);
      const viaValidator = validator.fromValue(event);
      const viaSchema = deletionRequestedSchema.safeParse(event);
      if (viaValidator.ok) {
        expect(viaSchema.success && viaSchema.data).toStrictEqual(viaValidator.value);
      }
    }
  });
});
