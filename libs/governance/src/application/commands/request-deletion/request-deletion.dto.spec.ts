import { DeletionRequestValidator } from './request-deletion.dto';

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
