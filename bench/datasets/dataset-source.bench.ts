/**
 * Streaming a CSV dataset through `FileDatasetSource` vs reading the whole file first, as the file
 * grows. Shows that the streamed read keeps its memory flat (one chunk, one batch and the
 * duplicate-id index) while the naive read grows with the file, and what the validation costs.
 *
 *   node --expose-gc -r ts-node/register/transpile-only -r tsconfig-paths/register \
 *     bench/datasets/dataset-source.bench.ts          (LETHE_BENCH_QUICK=1 for a small run)
 *
 * Both sides parse the same numbers into Float32Arrays; the baseline (readFile + split + Number)
 * checks nothing (no quoting, no duplicate ids, no ragged rows), so its time is a floor.
 * Memory: peak of (V8 heap used + ArrayBuffers) above the level after a forced GC before the run,
 * sampled every 1,024 rows.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDatasetSource } from '@lethe/unlearning';

const quick = process.env.LETHE_BENCH_QUICK === '1';
const ROWS = quick ? [5_000, 20_000] : [10_000, 40_000, 160_000, 640_000];
const DIM = 32;
const CLASSES = 10;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const mem = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const mib = (b: number): string => (b / 2 ** 20).toFixed(1);

/** A seeded CSV: id, label, f0..f31 with 4 decimals. */
const writeCsv = async (path: string, n: number): Promise<void> => {
  let s = 1;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const header = ['record_id', 'label', ...Array.from({ length: DIM }, (_, j) => `f${j}`)];
  const parts: string[] = [header.join(',')];
  for (let i = 0; i < n; i++) {
    const row = [`r-${i}`, String(Math.floor(rnd() * CLASSES))];
    for (let j = 0; j < DIM; j++) row.push((rnd() * 2 - 1).toFixed(4));
    parts.push(row.join(','));
  }
  await writeFile(path, parts.join('\n') + '\n');
};

interface Measure {
  ms: number;
  peak: number;
  checksum: number;
}

const measure = async (f: (sample: () => void) => Promise<number>): Promise<Measure> => {
  gc();
  const base = mem();
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, mem() - base);
  };
  const t0 = performance.now();
  const checksum = await f(sample);
  const ms = performance.now() - t0;
  sample();
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
  for await (const b of source.read({ exclude: new Set(['r-3', 'r-7']), batchSize: 1024 })) {
    for (let i = 0; i < b.features.length; i += DIM) sum += b.features[i] as number;
    sample();
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
  for (let i = 0; i < n; i++) {
    const f = (lines[i + 1] as string).split(',');
    labels[i] = Number(f[1]);
    for (let j = 0; j < DIM; j++) features[i * DIM + j] = Number(f[2 + j]);
    if (i % 1024 === 0) sample();
  }
  let sum = 0;
  for (let i = 0; i < features.length; i += DIM) sum += features[i] as number;
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
      console.log(
        `| ${n} | ${mib(size)} | ${s.ms.toFixed(0)} | ${Math.round((n / s.ms) * 1000)} | ${mib(s.peak)} | ${b.ms.toFixed(0)} | ${mib(b.peak)} |`,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
};

void main();
