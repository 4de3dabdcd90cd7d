import { registerDatasetSchema } from './register-dataset.dto';

const base = { datasetId: 'credit-2026', name: 'Credit' };

describe('registerDatasetSchema', () => {
  it('accepts a registration without a source (unchanged contract)', () => {
    expect(registerDatasetSchema.parse(base)).toEqual(base);
  });

  it('accepts the MNIST demo source and a CSV file source', () => {
    expect(registerDatasetSchema.parse({ ...base, source: { kind: 'mnist' } }).source).toEqual({
      kind: 'mnist',
    });
    const file = {
      kind: 'file',
      format: 'csv',
      path: 'credit/train.csv',
      recordIdColumn: 'record_id',
      labelColumn: 'label',
      featureColumns: ['age', 'income'],
    };
    expect(registerDatasetSchema.parse({ ...base, source: file }).source).toEqual(file);
  });

  it.each([
    ['an unknown kind', { kind: 'bucket' }],
    [
      'an absolute path',
      { kind: 'file', format: 'csv', path: '/etc/passwd', recordIdColumn: 'a', labelColumn: 'b' },
    ],
    [
      'a path with ..',
      { kind: 'file', format: 'ndjson', path: '../x', recordIdColumn: 'a', labelColumn: 'b' },
    ],
    ['no label column', { kind: 'file', format: 'csv', path: 'x.csv', recordIdColumn: 'a' }],
  ])('refuses %s', (_, source) => {
    expect(registerDatasetSchema.safeParse({ ...base, source }).success).toBe(false);
  });
});
