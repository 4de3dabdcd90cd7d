import { mkdtemp, mkdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileSourceDescriptor } from '../../application/ports/dataset-source-descriptor';
import {
  DatasetSourceErrorCode,
  isDatasetSourceError,
} from '../../application/ports/dataset-source.errors';
import {
  datasetRows,
  readDataset,
  type DatasetBatch,
} from '../../application/ports/dataset-source.port';
import { createDatasetSource } from './create-dataset-source';
import { FileDatasetSource } from './file-source';
import { RecordIdIndex } from './record-id-index';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lethe-ds-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const NONE: ReadonlySet<string> = new Set();

/** A source over `content` written to `<root>/<name>`. */
const sourceOf = async (
  name: string,
  content: string,
  d: Partial<FileSourceDescriptor> = {},
  extra: { newIdIndex?: () => RecordIdIndex } = {},
) => {
  await writeFile(join(root, name), content);
  const descriptor: FileSourceDescriptor = {
    kind: 'file',
    format: name.endsWith('.csv') ? 'csv' : 'ndjson',
    path: name,
    recordIdColumn: 'id',
    labelColumn: 'y',
    ...d,
  };
  return new FileDatasetSource(descriptor, { dataRoot: root, ...extra });
};

const collect = async (it: AsyncIterable<DatasetBatch>) => {
  const batches: DatasetBatch[] = [];
  for await (const b of it) batches.push(b);
  return batches;
};

const rowsOf = async (s: FileDatasetSource, exclude: ReadonlySet<string> = NONE) => {
  const out: { id: string; x: number[]; y: number }[] = [];
  for await (const r of datasetRows(s, { exclude })) {
    out.push({ id: r.recordId, x: Array.from(r.features), y: r.label });
  }
  return out;
};

/** The coded error a promise rejects with (fails the test if it resolves). */
const codedError = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (isDatasetSourceError(e)) return { code: e.code, details: e.details, message: e.message };
    throw e;
  }
  throw new Error('expected a DatasetSourceError');
};

describe('FileDatasetSource — CSV', () => {
  it('reads rows, discovers the class count, keeps quoted ids, CRLF and a BOM', async () => {
    const s = await sourceOf(
      'a.csv',
      '\uFEFFid,f1,y,f2\r\n"r,1",0.5,0,-1e-1\r\nr2, 2 ,2,3\r\n\r\n"r""3",.25,1,4.\r\n',
    );
    expect(await s.shape()).toEqual({ featureDim: 2, classCount: 3, featureNames: ['f1', 'f2'] });
    expect(await rowsOf(s)).toEqual([
      { id: 'r,1', x: [0.5, Math.fround(-0.1)], y: 0 },
      { id: 'r2', x: [2, 3], y: 2 },
      { id: 'r"3', x: [0.25, 4], y: 1 },
    ]);
  });

  it('uses featureColumns as given (subset, order) and a declared class count', async () => {
    const s = await sourceOf('b.csv', 'a,id,b,y,c\n1,r1,2,0,3\n4,r2,5,1,6\n', {
      featureColumns: ['c', 'a'],
      classCount: 5,
    });
    expect(await s.shape()).toEqual({ featureDim: 2, classCount: 5, featureNames: ['c', 'a'] });
    expect((await rowsOf(s)).map((r) => r.x)).toEqual([
      [3, 1],
      [6, 4],
    ]);
  });

  it('handles a quoted field that spans lines and a custom delimiter', async () => {
    const s = await sourceOf('c.csv', 'id;y;f\n"multi\nline";1;7\nr2;0;8\n', { delimiter: ';' });
    expect(await rowsOf(s)).toEqual([
      { id: 'multi\nline', x: [7], y: 1 },
      { id: 'r2', x: [8], y: 0 },
    ]);
  });

  it('batches rows and materialises a Dataset without the excluded ids', async () => {
    const lines = ['id,y,f'];
    for (let i = 0; i < 7; i++) lines.push(`r${i},${i % 2},${i}`);
    const s = await sourceOf('d.csv', lines.join('\n'));
    const batches = await collect(s.read({ exclude: new Set(['r3']), batchSize: 2 }));
    expect(batches.map((b) => b.recordIds.length)).toEqual([2, 2, 2]);
    expect(batches.flatMap((b) => b.recordIds)).toEqual(['r0', 'r1', 'r2', 'r4', 'r5', 'r6']);
    const ds = await readDataset(s, { exclude: new Set(['r0', 'r6']), name: 'd' });
    expect(ds.ids).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(Array.from(ds.features)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1, 0, 1]);
    expect([ds.dim, ds.classes]).toEqual([1, 2]);
  });

  it('`only` reads the named ids; every other row is dropped before its features are parsed', async () => {
    const s = await sourceOf('o.csv', 'id,y,f\nr0,0,1\nr1,1,garbage\nr2,1,3\nr3,0,4\n', {
      classCount: 2,
    });
    const ds = await readDataset(s, {
      exclude: new Set(['r3']),
      only: new Set(['r0', 'r2', 'r3']),
      name: 'd',
    });
    expect(ds.ids).toEqual(['r0', 'r2']);
    expect(Array.from(ds.features)).toEqual([1, 3]);
  });

  it.each([
    ['missing id column', 'x,y,f\n1,0,2\n', 'MISSING_COLUMN', 1, null],
    ['missing label column', 'id,f\nr1,2\n', 'MISSING_COLUMN', 1, null],
    ['missing feature column', 'id,y,f\nr1,0,1\n', 'MISSING_COLUMN', 1, ['g']],
    ['non-numeric feature', 'id,y,f\nr1,0,1\nr2,1,abc\n', 'NON_NUMERIC_FEATURE', 3, null],
    ['empty feature cell', 'id,y,f\nr1,0,\n', 'NON_NUMERIC_FEATURE', 2, null],
    ['NaN feature', 'id,y,f\nr1,0,NaN\n', 'NON_NUMERIC_FEATURE', 2, null],
    ['hex feature', 'id,y,f\nr1,0,0x10\n', 'NON_NUMERIC_FEATURE', 2, null],
    ['float32 overflow', 'id,y,f\nr1,0,1e39\n', 'NON_NUMERIC_FEATURE', 2, null],
    ['ragged row (short)', 'id,y,f,g\nr1,0,1,2\nr2,1,3\n', 'RAGGED_ROW', 3, null],
    ['ragged row (long)', 'id,y,f\nr1,0,1\nr2,1,3,4\n', 'RAGGED_ROW', 3, null],
    ['duplicate record id', 'id,y,f\nr1,0,1\nr2,1,2\nr1,1,3\n', 'DUPLICATE_RECORD_ID', 4, null],
    ['empty record id', 'id,y,f\nr1,0,1\n,1,2\n', 'INVALID_RECORD_ID', 3, null],
    ['negative label', 'id,y,f\nr1,0,1\nr2,-1,2\n', 'INVALID_LABEL', 3, null],
    ['fractional label', 'id,y,f\nr1,0,1\nr2,1.5,2\n', 'INVALID_LABEL', 3, null],
    ['unterminated quote', 'id,y,f\nr1,0,1\n"r2,1,2\n', 'MALFORMED_ROW', 3, null],
    ['text after a closing quote', 'id,y,f\n"r1"x,0,1\n', 'MALFORMED_ROW', 2, null],
    ['duplicate header', 'id,y,f,f\nr1,0,1,2\n', 'MALFORMED_ROW', 1, null],
  ] as [string, string, string, number, string[] | null][])(
    '%s → %s with the line number',
    async (_, content, code, line, featureColumns) => {
      const s = await sourceOf(
        'bad.csv',
        content,
        featureColumns ? { featureColumns, classCount: 2 } : {},
      );
      const e = await codedError(collect(s.read({ exclude: NONE })));
      expect(e.code).toBe(DatasetSourceErrorCode[code as keyof typeof DatasetSourceErrorCode]);
      expect(e.details.line).toBe(line);
      expect(e.message).toContain(`line ${line}`);
    },
  );

  it('names both lines of a duplicate record id', async () => {
    const s = await sourceOf('dup.csv', 'id,y,f\nr1,0,1\nr2,1,2\nr1,1,3\n', { classCount: 2 });
    const e = await codedError(collect(s.read({ exclude: NONE })));
    expect(e.details).toMatchObject({ line: 4, firstLine: 2, recordId: 'r1' });
  });

  it('reports errors in line order (a duplicate on line 4 before a ragged line 5)', async () => {
    const s = await sourceOf('order.csv', 'id,y,f\nr1,0,1\nr2,1,2\nr1,1,3\nr4,1\n', {
      classCount: 2,
    });
    const e = await codedError(collect(s.read({ exclude: NONE })));
    expect(e).toMatchObject({ code: 'DATASET_SOURCE_DUPLICATE_RECORD_ID', details: { line: 4 } });
  });

  it('a duplicate is refused even when one copy is excluded', async () => {
    const s = await sourceOf('dup2.csv', 'id,y,f\nr1,0,1\nr2,1,2\nr1,1,3\n', { classCount: 2 });
    const e = await codedError(collect(s.read({ exclude: new Set(['r1']) })));
    expect(e.code).toBe('DATASET_SOURCE_DUPLICATE_RECORD_ID');
  });

  it('refuses a label at or above the declared class count', async () => {
    const s = await sourceOf('lab.csv', 'id,y,f\nr1,0,1\nr2,3,2\n', { classCount: 3 });
    const e = await codedError(collect(s.read({ exclude: NONE })));
    expect(e).toMatchObject({ code: 'DATASET_SOURCE_INVALID_LABEL', details: { line: 3 } });
  });

  it('refuses a file whose labels are all 0 unless the class count is declared', async () => {
    const s = await sourceOf('zero.csv', 'id,y,f\nr1,0,1\n');
    expect((await codedError(s.shape())).code).toBe('DATASET_SOURCE_INVALID_LABEL');
  });

  it('refuses an empty file and a header without rows', async () => {
    expect((await codedError((await sourceOf('e.csv', '')).shape())).code).toBe(
      'DATASET_SOURCE_EMPTY',
    );
    expect((await codedError((await sourceOf('h.csv', 'id,y,f\n')).shape())).code).toBe(
      'DATASET_SOURCE_EMPTY',
    );
  });
});

describe('FileDatasetSource — erased records never reach the caller', () => {
  it('drops excluded rows before parsing them: a broken excluded row does not even fail', async () => {
    // r2's feature and label are garbage: reading it would throw. Excluded, it is never parsed.
    const s = await sourceOf('x.csv', 'id,y,f\nr1,0,1\nr2,oops,not-a-number\nr3,1,3\n', {
      classCount: 2,
    });
    await expect(collect(s.read({ exclude: NONE }))).rejects.toMatchObject({
      code: 'DATASET_SOURCE_INVALID_LABEL',
    });
    const seen = await rowsOf(s, new Set(['r2']));
    expect(seen.map((r) => r.id)).toEqual(['r1', 'r3']);
  });

  it('excluded ids appear in no batch, for every batch size, in NDJSON too', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) lines.push(JSON.stringify({ id: `r${i}`, y: i % 3, v: [i, -i] }));
    const s = await sourceOf('x.ndjson', lines.join('\n'));
    const erased = new Set(['r0', 'r7', 'r8', 'r49', 'never-there']);
    for (const batchSize of [1, 3, 50, 1000]) {
      const ids = (await collect(s.read({ exclude: erased, batchSize }))).flatMap(
        (b) => b.recordIds,
      );
      expect(ids).toHaveLength(46);
      expect(ids.filter((id) => erased.has(id))).toEqual([]);
    }
  });
});

describe('FileDatasetSource — NDJSON', () => {
  it('flattens array columns, accepts integer ids, keeps key order', async () => {
    const s = await sourceOf(
      'n.ndjson',
      [
        '{"id":"a","px":[1,2,3],"y":1,"bias":0.5}',
        '',
        '{"bias":-1,"y":0,"px":[4,5,6],"id":7}',
      ].join('\n'),
    );
    expect(await s.shape()).toEqual({
      featureDim: 4,
      classCount: 2,
      featureNames: ['px[0]', 'px[1]', 'px[2]', 'bias'],
    });
    expect(await rowsOf(s)).toEqual([
      { id: 'a', x: [1, 2, 3, 0.5], y: 1 },
      { id: '7', x: [4, 5, 6, -1], y: 0 },
    ]);
  });

  it.each([
    ['not JSON', '{"id":"a","y":0,"f":1}\n{oops\n', 'MALFORMED_ROW', 2],
    ['not an object', '{"id":"a","y":0,"f":1}\n[1,2]\n', 'MALFORMED_ROW', 2],
    ['missing label key', '{"id":"a","y":0,"f":1}\n{"id":"b","f":1}\n', 'MISSING_COLUMN', 2],
    [
      'missing feature key',
      '{"id":"a","y":0,"f":1,"g":2}\n{"id":"b","y":1,"f":1}\n',
      'MISSING_COLUMN',
      2,
    ],
    ['extra key', '{"id":"a","y":0,"f":1}\n{"id":"b","y":1,"f":1,"g":2}\n', 'RAGGED_ROW', 2],
    ['ragged array', '{"id":"a","y":0,"f":[1,2]}\n{"id":"b","y":1,"f":[1]}\n', 'RAGGED_ROW', 2],
    [
      'string feature',
      '{"id":"a","y":0,"f":1}\n{"id":"b","y":1,"f":"1"}\n',
      'NON_NUMERIC_FEATURE',
      2,
    ],
    [
      'null in array',
      '{"id":"a","y":0,"f":[1,2]}\n{"id":"b","y":1,"f":[1,null]}\n',
      'NON_NUMERIC_FEATURE',
      2,
    ],
    [
      'duplicate id',
      '{"id":"a","y":0,"f":1}\n{"id":"b","y":1,"f":1}\n{"id":"a","y":1,"f":1}\n',
      'DUPLICATE_RECORD_ID',
      3,
    ],
    ['object id', '{"id":"a","y":0,"f":1}\n{"id":{"x":1},"y":1,"f":1}\n', 'INVALID_RECORD_ID', 2],
    ['string label', '{"id":"a","y":0,"f":1}\n{"id":"b","y":"1","f":1}\n', 'INVALID_LABEL', 2],
  ])('%s → %s at its line', async (_, content, code, line) => {
    const s = await sourceOf('bad.ndjson', content, { classCount: 2 });
    const e = await codedError(collect(s.read({ exclude: NONE })));
    expect(e.code).toBe(DatasetSourceErrorCode[code as keyof typeof DatasetSourceErrorCode]);
    expect(e.details.line).toBe(line);
  });

  it('explicit featureColumns ignore other keys', async () => {
    const s = await sourceOf(
      'k.ndjson',
      '{"id":"a","y":1,"f":1,"note":"x"}\n{"id":"b","y":0,"f":2}\n',
      {
        featureColumns: ['f'],
      },
    );
    expect((await rowsOf(s)).map((r) => r.x)).toEqual([[1], [2]]);
  });
});

describe('FileDatasetSource — duplicate detection is exact', () => {
  const collidingIndex = () => new RecordIdIndex(16, () => [42, 42]);

  it('a fingerprint collision between distinct ids is not a duplicate', async () => {
    const s = await sourceOf(
      'c.csv',
      'id,y,f\nr1,0,1\nr2,1,2\nr3,0,3\n',
      {},
      { newIdIndex: collidingIndex },
    );
    expect((await rowsOf(s)).map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);
  });

  it('a real duplicate is still found, with its first line, when every fingerprint collides', async () => {
    const s = await sourceOf(
      'c2.csv',
      'id,y,f\nr1,0,1\nr2,1,2\nr3,0,3\nr2,0,4\n',
      { classCount: 2 },
      { newIdIndex: collidingIndex },
    );
    const e = await codedError(collect(s.read({ exclude: NONE })));
    expect(e).toMatchObject({
      code: 'DATASET_SOURCE_DUPLICATE_RECORD_ID',
      details: { line: 5, firstLine: 3 },
    });
  });

  it('RecordIdIndex grows and keeps every id', () => {
    const idx = new RecordIdIndex(4);
    const added = Array.from({ length: 10_000 }, (_, i) => idx.add(`id-${i}`));
    expect(added.every((a) => a)).toBe(true);
    expect(idx.size).toBe(10_000);
    const again = Array.from({ length: 11 }, (_, k) => idx.add(`id-${k * 997}`));
    expect(again.some((a) => a)).toBe(false);
  });
});

describe('FileDatasetSource — paths and files', () => {
  it('refuses a path that escapes the data root through a symlink', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'lethe-outside-'));
    try {
      await writeFile(join(outside, 'secret.csv'), 'id,y,f\nr1,0,1\n');
      await symlink(join(outside, 'secret.csv'), join(root, 'link.csv'));
      const s = new FileDatasetSource(
        { kind: 'file', format: 'csv', path: 'link.csv', recordIdColumn: 'id', labelColumn: 'y' },
        { dataRoot: root },
      );
      expect((await codedError(s.shape())).code).toBe('DATASET_SOURCE_PATH_OUTSIDE_ROOT');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('a missing file is UNREADABLE; a directory is refused too', async () => {
    await mkdir(join(root, 'dir.csv'));
    for (const path of ['nope.csv', 'dir.csv']) {
      const s = createDatasetSource(
        { kind: 'file', format: 'csv', path, recordIdColumn: 'id', labelColumn: 'y' },
        { dataRoot: root },
      );
      expect((await codedError(s.shape())).code).toBe('DATASET_SOURCE_UNREADABLE');
    }
  });

  it('inspect() validates the whole file and counts rows', async () => {
    const s = await sourceOf('i.csv', 'id,y,f\nr1,0,1\nr2,1,2\nr3,1,3\n');
    expect(await s.inspect()).toMatchObject({ rows: 3, shape: { featureDim: 1, classCount: 2 } });
  });

  it('refuses a bad batch size with a coded error', async () => {
    const s = await sourceOf('bs.csv', 'id,y,f\nr1,0,1\nr2,1,1\n');
    expect((await codedError(collect(s.read({ exclude: NONE, batchSize: 0 })))).code).toBe(
      'DATASET_SOURCE_INVALID_READ_OPTIONS',
    );
  });
});

describe('FileDatasetSource — fingerprint', () => {
  const ndjson = (x: number) =>
    `{"id":"a","label":0,"x":[${x},1]}\n{"id":"b","label":1,"x":[2,3]}\n`;

  it('changes with the bytes and with the descriptor, not between two reads of the same file', async () => {
    const s = await sourceOf('f.ndjson', ndjson(5));
    const first = await s.fingerprint();
    expect(await s.fingerprint()).toBe(first);
    await writeFile(join(root, 'f.ndjson'), ndjson(6));
    expect(await s.fingerprint()).not.toBe(first);
    const other = await sourceOf('f.ndjson', ndjson(6), { labelColumn: 'label', classCount: 2 });
    expect(await other.fingerprint()).not.toBe(await s.fingerprint());
  });

  it('sees a same-size rewrite whose mtime was put back, once the remembered digest had settled', async () => {
    const s = await sourceOf('g.ndjson', ndjson(5));
    const path = join(root, 'g.ndjson');
    // Older than 2 s when hashed: the digest is remembered by (inode, size, mtime, ctime).
    await new Promise((r) => setTimeout(r, 2500));
    const first = await s.fingerprint();
    const { mtime, atime } = await stat(path);
    await writeFile(path, ndjson(7));
    await utimes(path, atime, mtime);
    expect(await s.fingerprint()).not.toBe(first);
  }, 20_000);
});
