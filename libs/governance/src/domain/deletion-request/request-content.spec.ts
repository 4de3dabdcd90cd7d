import { SubjectRef } from '@lethe/shared';
import { canonicalJson } from '@lethe/shared/domain';
import {
  canonicalContent,
  canonicalInstant,
  canonicalScope,
  canonicalScopeJson,
  contentDigestOf,
  type RequestContent,
} from './request-content';

const base = {
  subjectRef: SubjectRef('sr1_abc'),
  scope: { datasetIds: ['b', 'a'], recordIds: null },
  legalBasis: 'GDPR-art-17',
  requestedDeadline: '2026-12-26T13:00:00+01:00',
};

describe('request content', () => {
  it('has one canonical form: RFC 8785 JSON, sets sorted, basis lower-cased, instants in UTC', () => {
    expect(canonicalContent(base)).toBe(
      '{"deadline":"2026-12-26T12:00:00.000Z","legalBasis":"gdpr-art-17",' +
        '"scope":{"datasetIds":["a","b"],"recordIds":null},"subjectRef":"sr1_abc"}',
    );
  });

  it('is exactly what the generic RFC 8785 serialiser writes for the same content', () => {
    const contents: RequestContent[] = [
      base,
      { ...base, scope: null, requestedDeadline: null },
      { ...base, scope: { datasetIds: null, recordIds: ['z', 'é', 'A', 'a'] } },
      { ...base, legalBasis: 'ccpa-1798.105', subjectRef: SubjectRef('sr1_"quoted"\\') },
    ];
    for (const c of contents) {
      expect(canonicalContent(c)).toBe(
        canonicalJson({
          subjectRef: c.subjectRef,
          legalBasis: c.legalBasis.toLowerCase(),
          scope: canonicalScopeJson(c.scope),
          deadline: c.requestedDeadline === null ? null : canonicalInstant(c.requestedDeadline),
        }),
      );
    }
  });

  it('keeps its own answer for lone surrogates, which RFC 8785 refuses (stored digests stay valid)', () => {
    const lone = { ...base, scope: { datasetIds: null, recordIds: ['\ud800'] } };
    expect(() => canonicalJson(canonicalScopeJson(lone.scope))).toThrow(
      expect.objectContaining({ code: 'NOT_CANONICALIZABLE' }),
    );
    expect(canonicalContent(lone)).toContain('"recordIds":["\\ud800"]');
    expect(contentDigestOf(lone)).toMatch(/^c1:[0-9a-f]{64}$/);
  });

  it('treats scope lists as sets and a scope that narrows nothing as no scope', () => {
    expect(canonicalScope({ datasetIds: ['x', 'y', 'x'], recordIds: ['2', '10'] })).toEqual({
      datasetIds: ['x', 'y'],
      recordIds: ['10', '2'],
    });
    expect(canonicalScope({ datasetIds: null, recordIds: null })).toBeNull();
  });

  it('digests equal content equally and different content differently', () => {
    const same = {
      ...base,
      scope: { datasetIds: ['a', 'b'], recordIds: null },
      legalBasis: 'gdpr-art-17',
      requestedDeadline: '2026-12-26T12:00:00Z',
    };
    expect(contentDigestOf(same)).toBe(contentDigestOf(base));
    expect(contentDigestOf(base)).toMatch(/^c1:[0-9a-f]{64}$/);
    const variants = [
      { ...base, subjectRef: SubjectRef('sr1_abd') },
      { ...base, scope: null },
      { ...base, scope: { datasetIds: ['a'], recordIds: null } },
      { ...base, scope: { datasetIds: ['a', 'b'], recordIds: ['r'] } },
      { ...base, legalBasis: 'ccpa-1798.105' },
      { ...base, requestedDeadline: null },
      { ...base, requestedDeadline: '2026-12-26T12:00:00.001Z' },
    ];
    const digests = new Set([base, ...variants].map(contentDigestOf));
    expect(digests.size).toBe(variants.length + 1);
  });
});
