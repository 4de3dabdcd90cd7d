import { parseDatasetSourceDescriptor } from './dataset-source-descriptor';
import { isDatasetSourceError } from './dataset-source.errors';

const file = {
  kind: 'file',
  format: 'csv',
  path: 'data/train.csv',
  recordIdColumn: 'record_id',
  labelColumn: 'label',
};

const issuesOf = (input: unknown): string[] => {
  try {
    parseDatasetSourceDescriptor(input);
  } catch (e) {
    if (isDatasetSourceError(e, 'DATASET_SOURCE_INVALID_DESCRIPTOR')) {
      return (e.details.issues as { path: string; message: string }[]).map(
        (i) => `${i.path}: ${i.message}`,
      );
    }
    throw e;
  }
  return [];
};

describe('parseDatasetSourceDescriptor', () => {
  it('accepts mnist and file descriptors', () => {
    expect(parseDatasetSourceDescriptor({ kind: 'mnist' })).toEqual({ kind: 'mnist' });
    expect(
      parseDatasetSourceDescriptor({ ...file, featureColumns: ['a', 'b'], classCount: 10 }),
    ).toMatchObject({ kind: 'file', featureColumns: ['a', 'b'], classCount: 10 });
    expect(parseDatasetSourceDescriptor({ ...file, format: 'ndjson' })).toMatchObject({
      format: 'ndjson',
    });
  });

  it.each([
    ['unknown kind', { kind: 's3' }],
    ['absolute path', { ...file, path: '/etc/passwd' }],
    ['parent segment', { ...file, path: 'a/../../b.csv' }],
    ['windows drive', { ...file, path: 'C:\\x.csv' }],
    ['unknown format', { ...file, format: 'parquet' }],
    ['missing label column', { ...file, labelColumn: undefined }],
    ['same id and label column', { ...file, labelColumn: 'record_id' }],
    ['label among features', { ...file, featureColumns: ['a', 'label'] }],
    ['repeated feature', { ...file, featureColumns: ['a', 'a'] }],
    ['one class', { ...file, classCount: 1 }],
    ['delimiter on ndjson', { ...file, format: 'ndjson', delimiter: ';' }],
    ['quote delimiter', { ...file, delimiter: '"' }],
    ['unknown key', { ...file, compression: 'gzip' }],
    ['mnist limit too large', { kind: 'mnist', limit: 20_000 }],
  ])('refuses %s with DATASET_SOURCE_INVALID_DESCRIPTOR', (_, input) => {
    expect(issuesOf(input).length).toBeGreaterThan(0);
  });
});
