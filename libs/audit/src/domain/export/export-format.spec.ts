import { canonicalJson } from '@lethe/shared/domain';
import { entryLeafData } from '../log/audit-entry';
import {
  certificateJsonlLine,
  CSV_HEADER,
  csvRow,
  entryOfRecord,
  jsonlLine,
  parseCsvLine,
  recordOfCsvFields,
  recordOfEntry,
  type ExportRecord,
} from './export-format';

const fields = {
  leafIndex: 7,
  leafHash: 'a'.repeat(64),
  prevHash: 'b'.repeat(64),
  chainHash: 'c'.repeat(64),
  inclusionProof: { treeSize: 12, hashes: ['d'.repeat(64), 'e'.repeat(64)] },
};
const certificate = recordOfEntry(
  { kind: 'certificate', certificateId: 'cert-1', jws: 'eyJh.eyJi.c2ln' },
  fields,
);
const outcome = recordOfEntry(
  {
    kind: 'outcome',
    outcomeId: 'req-1',
    outcome: 'no-records',
    requestIds: ['req-1'],
    subjectRefs: [],
    recordedAt: '2026-11-29T00:00:00.000Z',
  },
  fields,
);

describe('export record formats', () => {
  it.each([
    ['certificate', certificate],
    ['outcome', outcome],
  ])('writes a %s as exactly its RFC 8785 canonical JSON and a newline', (_, r) => {
    expect(jsonlLine(r)).toBe(`${canonicalJson(r as never)}\n`);
    expect(entryOfRecord(JSON.parse(jsonlLine(r)) as ExportRecord)).toEqual(entryOfRecord(r));
  });

  it.each([
    ['certificate', certificate],
    ['outcome', outcome],
  ])('writes a %s as a CSV row that parses back to the same record', (_, r) => {
    const row = csvRow(r);
    expect(row.endsWith('\n')).toBe(true);
    expect(recordOfCsvFields(parseCsvLine(row.slice(0, -1)) as string[])).toEqual(r);
    expect(CSV_HEADER.split(',')).toHaveLength((parseCsvLine(row.slice(0, -1)) ?? []).length);
  });

  it('refuses malformed CSV and records whose fields disagree', () => {
    expect(parseCsvLine('a,"b')).toBeNull();
    expect(parseCsvLine('a,b"c')).toBeNull();
    expect(entryOfRecord({ ...certificate, jws: null })).toBeNull();
    expect(entryOfRecord({ ...outcome, certificateId: 'cert-1' })).toBeNull();
  });
});

describe('the JSONL line of a certificate from its leaf data, unparsed', () => {
  it('is byte for byte the parsed rendering, whatever the id holds', () => {
    const jws = 'eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.c2ln-_';
    for (const certificateId of [
      'cert-1',
      'quote " and \\ backslash',
      'ends with backslash \\',
      '","jws":"fake',
      'unicode é ✓ \u2028 and control \u0001',
      '',
    ]) {
      const data = entryLeafData({ kind: 'certificate', certificateId, jws }).toString('utf8');
      for (const hashes of [[], ['d'.repeat(64)], ['d'.repeat(64), 'e'.repeat(64)]]) {
        const expected = jsonlLine(
          recordOfEntry(
            { kind: 'certificate', certificateId, jws },
            { ...fields, inclusionProof: { treeSize: 12, hashes } },
          ),
        );
        const line = certificateJsonlLine(data, {
          ...fields,
          treeSize: 12,
          hashesJson: JSON.stringify(hashes),
        });
        expect(line).toBe(expected);
      }
    }
  });

  it('declines what is not a certificate leaf of that exact shape (the caller parses)', () => {
    const f = { ...fields, treeSize: 12, hashesJson: '[]' };
    const outcome = entryLeafData({
      kind: 'outcome',
      outcomeId: 'req-1',
      outcome: 'no-records',
      requestIds: ['req-1'],
      subjectRefs: [],
      decidedAt: '2026-01-01T00:00:00Z',
    } as never).toString('utf8');
    expect(certificateJsonlLine(outcome, f)).toBeNull();
    expect(certificateJsonlLine('{"certificateId":"x"}', f)).toBeNull();
    expect(
      certificateJsonlLine(
        '{"certificateId":"x","jws":"a\\"b","kind":"certificate","schema":"lethe.audit-entry/v1"}',
        f,
      ),
    ).toBeNull();
  });
});
