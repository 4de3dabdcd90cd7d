import { SubjectRef } from '@lethe/shared';
import {
  canonicalContent,
  contentDigestOf,
  type RequestContent,
} from '../domain/deletion-request/request-content';
import { intakeIdsFor } from './ids';

/**
 * Golden values of what the intake stores and derives, pinned from the code before the canonical
 * JSON serialisers were unified (docs/architecture.md, "Canonical JSON"). Stored requests carry
 * `contentDigest` (`c1:`…) and live on streams named by the request id: if any value below
 * changes, a repeat of an old event would no longer find its request, or would be refused as
 * IDEMPOTENCY_KEY_REUSED. Never update these to make a change pass; add a `c2` / `v3` instead.
 */
describe('intake digests and ids (golden, must never change)', () => {
  const content = (c: {
    subjectRef: string;
    scope: { datasetIds: string[] | null; recordIds: string[] | null } | null;
    legalBasis: string;
    requestedDeadline: string | null;
  }): RequestContent => ({ ...c, subjectRef: SubjectRef(c.subjectRef) });

  it.each([
    [
      'minimal',
      content({
        subjectRef: 'sr1_abc',
        scope: null,
        legalBasis: 'GDPR-Art-17',
        requestedDeadline: null,
      }),
      '{"deadline":null,"legalBasis":"gdpr-art-17","scope":null,"subjectRef":"sr1_abc"}',
      'c1:5a7aec9951c6fe196ca4e5da11cbbc7b0eb2d7b32661b6ec6400325918b48429',
    ],
    [
      'scope as sets, deadline with an offset',
      content({
        subjectRef: 'sr1_abc',
        scope: { datasetIds: ['b', 'a', 'b'], recordIds: null },
        legalBasis: 'gdpr-art-17',
        requestedDeadline: '2026-12-26T13:00:00+01:00',
      }),
      '{"deadline":"2026-12-26T12:00:00.000Z","legalBasis":"gdpr-art-17",' +
        '"scope":{"datasetIds":["a","b"],"recordIds":null},"subjectRef":"sr1_abc"}',
      'c1:85e6e8d47bf5970e33d2bbabb53e300c511cca5676b75bebbe3822998f528f26',
    ],
    [
      'unicode ids in code-unit order (astral, combining, CJK, presentation forms)',
      content({
        subjectRef: 'sr1_Zz',
        scope: {
          datasetIds: null,
          recordIds: ['z', '\u00e9', 'e\u0301', 'A', 'a', '\ud83d\ude00', '\ufb33', '日本'],
        },
        legalBasis: 'LGPD-Art-18',
        requestedDeadline: '2027-01-01T00:00:00.123Z',
      }),
      '{"deadline":"2027-01-01T00:00:00.123Z","legalBasis":"lgpd-art-18","scope":{"datasetIds":null,' +
        '"recordIds":["A","a","e\u0301","z","\u00e9","日本","\ud83d\ude00","\ufb33"]},"subjectRef":"sr1_Zz"}',
      'c1:78598a745fe3776e029d18f8e7612f312ed971d59a1890caa5784aae6c02df3b',
    ],
    [
      'escapes (quotes, backslash, controls, U+2028/9, </script>)',
      content({
        subjectRef: 'sr1_"quoted"\\',
        scope: {
          datasetIds: ['tab\there', 'nl\n', '\u0000ctl\u001f', '</script>'],
          recordIds: ['\u2028\u2029'],
        },
        legalBasis: 'CCPA-1798.105',
        requestedDeadline: null,
      }),
      String.raw`{"deadline":null,"legalBasis":"ccpa-1798.105","scope":{"datasetIds":["\u0000ctl\u001f","</script>","nl\n","tab\there"],` +
        '"recordIds":["\u2028\u2029"]},"subjectRef":"sr1_\\"quoted\\"\\\\"}',
      'c1:e213e8bbf178257f2673a98daf7ab53d0e38034e09fa0e2a4104722d9de207b1',
    ],
    [
      'numeric-looking ids stay strings, sorted as text; a deadline across a month end',
      content({
        subjectRef: 'sr1_1',
        scope: { datasetIds: ['10', '2', '1e3', '-0', '0.1'], recordIds: ['1', '01'] },
        legalBasis: 'gdpr-art-17',
        requestedDeadline: '2026-02-28T23:59:59.999-05:00',
      }),
      '{"deadline":"2026-03-01T04:59:59.999Z","legalBasis":"gdpr-art-17","scope":{"datasetIds":' +
        '["-0","0.1","10","1e3","2"],"recordIds":["01","1"]},"subjectRef":"sr1_1"}',
      'c1:bc279a9efae378b09940eed4aa573904f9cecbae34145a617e0e2b863b43d24f',
    ],
    [
      'an empty list is kept (it narrows to nothing)',
      content({
        subjectRef: 'sr1_e',
        scope: { datasetIds: [], recordIds: null },
        legalBasis: 'gdpr-art-17',
        requestedDeadline: null,
      }),
      '{"deadline":null,"legalBasis":"gdpr-art-17","scope":{"datasetIds":[],"recordIds":null},"subjectRef":"sr1_e"}',
      'c1:7442413f69c97fca21f521c07f0b847dbbf53ffd23aa23d14e4c47bb7ba40add',
    ],
    [
      'lone surrogates (not I-JSON: RFC 8785 refuses them; c1 escapes them as JSON.stringify does)',
      content({
        subjectRef: 'sr1_ls',
        scope: { datasetIds: null, recordIds: ['\ud800', 'x\udfffy'] },
        legalBasis: 'gdpr-art-17',
        requestedDeadline: null,
      }),
      String.raw`{"deadline":null,"legalBasis":"gdpr-art-17","scope":{"datasetIds":null,"recordIds":["x\udfffy","\ud800"]},"subjectRef":"sr1_ls"}`,
      'c1:268c0dcfd86cc628a75a24bc86694a4efab632c2dcabc0f223cf643f3a201a00',
    ],
  ])('content %s', (_, c, text, digest) => {
    expect(canonicalContent(c)).toBe(text);
    expect(contentDigestOf(c)).toBe(digest);
  });

  it.each([
    [
      'urn:app:crm',
      'order-1',
      '5017b0f7-11a1-879c-afb3-953fe87b3ded',
      '685dba07-3c20-844a-839f-766a5885b9e9',
    ],
    [
      'urn:app:billing',
      'order-1',
      '92979276-af9b-864e-91cf-965975a204d6',
      '854b7257-79a2-8e40-8cdb-56456e962e70',
    ],
    ['a:b', 'c', 'aa710232-1f34-875b-a025-c6cf39765f62', 'd967805d-0acc-8476-badc-ad7416b29584'],
    ['a', 'b:c', 'dc5f3829-9ff5-8a19-837c-37d513c244fb', '9daa9e9c-f665-805f-8dc3-fb1e4e91af19'],
    [
      'https://example.com/é',
      '日本-1',
      'd4269549-361b-89f9-ab6a-0d5061733b0e',
      '9dfa98fd-9fc0-8c37-aaef-d086bc725a07',
    ],
    [
      'urn:x',
      '\ud83d\ude00',
      'aa84c0e6-0e42-8a0b-9cd5-59403d03d610',
      '72442cf8-97c8-85f8-a34a-394b236c7899',
    ],
    ['', '', 'e6320631-9170-8c30-9c13-9fc27461f946', 'c81a9b40-5aaa-85c7-bb0e-f7adc9902295'],
    ['s"q', 'i\\d', 'bf63070d-ebca-8b93-bdeb-c0b174280e5d', 'c0483368-e94d-8d96-b8a6-26b19d824006'],
  ])('ids of (%j, %j)', (source, id, requestId, eventId) => {
    expect(intakeIdsFor(source, id)).toEqual({ requestId, eventId });
  });
});
