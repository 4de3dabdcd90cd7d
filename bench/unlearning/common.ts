/**
 * Shared helpers of the unlearning benchmarks: quick/full mode, the machine header, the MNIST
 * data (real digits, scaled up by seeded augmentation), the training recipe, formatting, tables.
 */
import * as os from 'node:os';
import {
  DeviceData,
  augmentImages,
  createRng,
  loadMnist,
  permutation,
  selectRows,
  tf,
  trainTestSplit,
  type Dataset,
  type NumericEngine,
  type TrainingRecipe,
} from '@lethe/unlearning';

/** LETHE_BENCH_QUICK=1: a small run (~1–2 min) that only checks the bench still works. */
export const quick = process.env.LETHE_BENCH_QUICK === '1';

/**
 * `DeviceData.slice` used `tf.slice`, whose wasm kernel copies the WHOLE source tensor out of the
 * wasm heap on every call, so every chunked full-data pass was O(n²). The library now gathers the
 * row range by index. `useTfSliceBaseline(true)` puts the old implementation back, only to measure
 * what the fix is worth (unlearn-vs-retrain prints that table); results are bit-identical.
 */
const gatherSlice = DeviceData.prototype.slice;
function tfSlice(this: DeviceData, start: number, size: number): ReturnType<DeviceData['slice']> {
  const m = Math.min(size, this.n - start);
  return {
    x: tf.slice(this.x, [start, 0], [m, this.dim]),
    y: tf.slice(this.y, [start, 0], [m, this.classes]),
  };
}
export function useTfSliceBaseline(on: boolean): void {
  DeviceData.prototype.slice = on ? tfSlice : gatherSlice;
}

/** The paper's recipe (docs/method.md §8) with a bench-sized epoch count. */
export const recipe = (
  epochs: number,
  overrides: Partial<TrainingRecipe> = {},
): TrainingRecipe => ({
  C: 20,
  l2: 5e-4,
  learningRate: 1e-3,
  batchSize: 128,
  seed: 42,
  epochs,
  ...overrides,
});

/** Prints what the figures were measured on. */
export function printHeader(engine: NumericEngine, bench: string, command: string): void {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`# ${bench}`);
  console.log('');
  console.log(`- command: \`${command}\`${quick ? ' (LETHE_BENCH_QUICK=1)' : ''}`);
  console.log(
    `- machine: ${os.cpus().length} cores (${cpu}), shared with other jobs; node ${process.version}; ` +
      `tfjs backend **${engine.backend()}** (1 thread)`,
  );
  console.log(`- date: ${new Date().toISOString()}; mode: ${quick ? 'quick' : 'full'}`);
}

/** The 10,000 real digits: 1,000 held out for test (seed 1), 9,000 for training. */
export function mnistSplit(): { train: Dataset; test: Dataset } {
  const { train, test } = trainTestSplit(loadMnist(), { testSize: 1000, seed: 1 });
  return { train, test };
}

/**
 * A training set of n rows: a seeded subset of the real digits when n <= |real|, otherwise the
 * real digits plus (n/|real| − 1) seeded augmented copies (shift ±2 px, pixel noise 0.1; ids
 * `<id>~aug<c>`). n must then be a multiple of |real|.
 */
export function trainingSet(real: Dataset, n: number, seed: number | string = 'bench'): Dataset {
  const m = real.labels.length;
  if (n <= m) {
    const rows = Array.from(permutation(m, createRng(`subset/${String(seed)}`)).subarray(0, n));
    rows.sort((a, b) => a - b);
    return selectRows(real, rows, `${real.name}[${n}]`);
  }
  if (n % m !== 0) throw new Error(`n = ${n} is not a multiple of the ${m} real digits`);
  return augmentImages(real, { copies: n / m - 1, seed: `aug/${String(seed)}` });
}

/** ||a − b|| / ||b||. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    num += d * d;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / den);
}

export const now = (): number => performance.now();

/** Milliseconds as seconds, 2 decimals (3 below 0.1 s). */
export const sec = (ms: number): string =>
  Number.isFinite(ms) ? (ms < 100 ? (ms / 1000).toFixed(3) : (ms / 1000).toFixed(2)) : '—';

export const acc = (a: number | undefined): string =>
  a === undefined || !Number.isFinite(a) ? '—' : a.toFixed(3);

/** Compact number: 3 significant digits, scientific outside [1e-3, 1e5). */
export const num = (x: number | undefined | null, digits = 3): string => {
  if (x === undefined || x === null || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
};

export const ratio = (x: number): string =>
  !Number.isFinite(x) ? '—' : x >= 100 ? `${x.toFixed(0)}×` : `${x.toFixed(1)}×`;

/** Prints a Markdown table (same shape as bench/support/infra.ts). */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  note?: string,
): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  if (note) console.log(`\n${note}`);
}

/** A one-line progress note on stderr (kept out of the Markdown on stdout). */
export const log = (msg: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

/** Runs main(), exiting non-zero on failure. */
export function run(main: () => Promise<void>): void {
  const t0 = now();
  main()
    .then(() => log(`done in ${sec(now() - t0)} s`))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
