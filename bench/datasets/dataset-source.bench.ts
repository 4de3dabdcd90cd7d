/**
 * Streaming a CSV dataset through `FileDatasetSource` vs reading the whole file first, as the file
 * grows. Shows that the streamed read keeps its memory flat (one chunk, one batch and the
 * duplicate-id index) while the naive read grows with the file, and what the validation costs.
 *
 *   node --expose-gc -r ts-node/register/transpile-only -r tsconfig-paths/register \
 *     bench/datasets/dataset-source.bench.ts          (LETHE_BENCH_QUICK=1 for a small run)
 *
 * Both sides parse the same numbers into Float32Arrays and skip the same two excluded ids; the
 * baseline (readFile + split + Number) checks nothing (no quoting, no duplicate ids, no ragged
 * rows), so its time is a floor. Time: one pass without instrumentation. Memory: a second pass
 * that forces a GC every 8,192 rows and records the peak of LIVE (V8 heap used + ArrayBuffers)
 * above the level before the run (without the forced GC the figure mostly measures garbage not
 * yet collected).
 */
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDatasetSource } from '@lethe/unlearning';

const quick = process.env.LETHE_BENCH_QUICK === '1';
const ROWS = quick ? [5_000, 20_000] : [10_000, 40_000, 160_000, 640_000];
const DIM = 32;
const CLASSES = 10;
const EXCLUDED: ReadonlySet<string> = new Set(['r-3', 'r-7']);

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const mem = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const mib = (b: number): string => (b / 2 ** 20).toFixed(1);

/**
 * A seeded CSV: id, label, f0..f31 with 4 decimals, appended 10,000 rows at a time (a single
 * giant string would still be on the heap when the memory baseline is taken).
 */
const writeCsv = async (path: string, n: number): Promise<void> => {
  let s = 1;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const header = ['record_id', 'label', ...Array.from({ length: DIM }, (_, j) => `f${j}`)];
  await writeFile(path, header.join(',') + '\n');
  for (let start = 0; start < n; start += 10_000) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(n, start + 10_000); i++) {
      const row = [`r-${i}`, String(Math.floor(rnd() * CLASSES))];
      for (let j = 0; j < DIM; j++) row.push((rnd() * 2 - 1).toFixed(4));
      parts.push(row.join(','));
    }
    await appendFile(path, parts.join('\n') + '\n');
  }
};

interface Measure {
  ms: number;
  peak: number;
  checksum: number;
}

const measure = async (f: (sample: () => void) => Promise<number>): Promise<Measure> => {
  gc();
  const t0 = performance.now();
  const checksum = await f(() => undefined);
  const ms = performance.now() - t0;
  gc();
  const base = mem();
  let peak = 0;
  const sample = (): void => {
    gc();
    peak = Math.max(peak, mem() - base);
  };
  const again = await f(sample);
  if (again !== checksum) throw new Error('the two passes disagree');
  return { ms, peak, checksum };
};

const streamed = (root: string) => async (sample: () => void) => {
  const source = new FileDatasetSource(
    {
      kind: 'file',
      format: 'csv',
      path: 'data.csv',
      recordIdColumn: 'record_id',
      labelColumn: 'label',
      classCount: CLASSES,
    },
    { dataRoot: root },
  );
  let sum = 0;
  let batches = 0;
  for await (const b of source.read({ exclude: EXCLUDED, batchSize: 1024 })) {
    for (let i = 0; i < b.features.length; i += DIM) sum += b.features[i] as number;
    if (++batches % 8 === 0) sample();
  }
  return sum;
};

const naive = (root: string) => async (sample: () => void) => {
  const text = await readFile(join(root, 'data.csv'), 'utf8');
  sample();
  const lines = text.split('\n').filter((l) => l.length > 0);
  sample();
  const n = lines.length - 1;
  const features = new Float32Array(n * DIM);
  const labels = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const f = (lines[i + 1] as string).split(',');
    if (EXCLUDED.has(f[0] as string)) continue;
    labels[k] = Number(f[1]);
    for (let j = 0; j < DIM; j++) features[k * DIM + j] = Number(f[2 + j]);
    k++;
    if (i % 8192 === 0) sample();
  }
  let sum = 0;
  for (let i = 0; i < k * DIM; i += DIM) sum += features[i] as number;
  return sum;
};

const main = async (): Promise<void> => {
  if (!(globalThis as { gc?: unknown }).gc) console.error('warning: run with --expose-gc');
  console.log(`# Dataset source: streamed CSV vs read-whole-file (${DIM} features)\n`);
  console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(
    '| rows | file MiB | streamed ms | streamed rows/s | streamed peak MiB | naive ms | naive peak MiB |',
  );
  console.log(
    '| ---- | -------- | ----------- | --------------- | ----------------- | -------- | -------------- |',
  );
  for (const n of ROWS) {
    const root = await mkdtemp(join(tmpdir(), 'lethe-bench-ds-'));
    try {
      await writeCsv(join(root, 'data.csv'), n);
      const size = (await stat(join(root, 'data.csv'))).size;
      const s = await measure(streamed(root));
      const b = await measure(naive(root));
      if (s.checksum !== b.checksum) throw new Error('streamed and naive read different data');
      console.log(
        `| ${n} | ${mib(size)} | ${s.ms.toFixed(0)} | ${Math.round((n / s.ms) * 1000)} | ${mib(s.peak)} | ${b.ms.toFixed(0)} | ${mib(b.peak)} |`,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
};

void main();
