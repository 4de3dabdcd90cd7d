/**
 * (e) Native TensorFlow (tfjs-node, built by scripts/install-tensorflow.js) against the wasm
 * backend, side by side in one process, on the engine's own code paths:
 *   npm run bench:unlearning:native        (LETHE_BENCH_QUICK=1 for a ~2 minute check)
 *
 * 1. a training step (projected Adam through `engine.train`, ms per step) for the paper's MLP at
 *    batch 128 and a wide 784-256-10 MLP at batch 1,024;
 * 2. one Hessian-vector product (double backprop, `Objective.batchHvp`) at batch 10, 100, 1,000;
 * 3. LiSSA (`engine.inverseHvp`, one chain of depth s at Hessian batch b);
 * 4. the Newton step against retraining at several n: the step's cost is what the unlearning
 *    use case spends in the engine (a full gradient over D_r, then LiSSA), retraining is
 *    `engine.train` on D_r with the same recipe; the ratio, and where the measured lines put the
 *    n at which the step beats retraining 10× and 100×.
 */
import {
  DeviceData,
  Objective,
  createRng,
  createTfjsEngine,
  forgetRetainSplit,
  gaussianVector,
  initialParameters,
  initTensorflow,
  mlp,
  paperMnistMlp,
  readNativeBuildStatus,
  tf,
  type Architecture,
  type BackendInfo,
  type Dataset,
  type NumericEngine,
} from '@lethe/unlearning';
import {
  log,
  mnistSplit,
  now,
  num,
  printTable,
  quick,
  ratio,
  recipe,
  run,
  sec,
  trainingSet,
} from './common';
import * as os from 'node:os';

const EPOCHS = quick ? 2 : 10;
const SIZES = quick ? [2000, 9000] : [2000, 9000, 36_000];
const FORGET = 100;
const LAMBDA = 1;
const LISSA = { chains: 1, depth: quick ? 50 : 300, batchSize: 50 };
const HVP_BATCHES = [10, 100, 1000];
const REPS = quick ? 5 : 15;

type Mode = 'tensorflow' | 'wasm';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/** ms per projected-Adam step: one epoch of n rows at the batch size, over steps, median of reps. */
async function trainStepMs(
  engine: NumericEngine,
  arch: Architecture,
  data: Dataset,
  batchSize: number,
): Promise<number> {
  const steps = Math.ceil(data.labels.length / batchSize);
  const r = { ...recipe(1), batchSize, learningRate: 1e-3 };
  await engine.train({ arch, data, recipe: r }); // warm-up (kernels, first-use compilation)
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, Math.floor(REPS / 3)); i++) {
    const t0 = now();
    await engine.train({ arch, data, recipe: { ...r, seed: 42 + i } });
    times.push((now() - t0) / steps);
  }
  return median(times);
}

/** ms per minibatch HVP (∇²L_B + l2 I)·v at batch b, median of REPS after a warm-up. */
function hvpMs(arch: Architecture, data: Dataset, b: number): number {
  const objective = new Objective(arch, 5e-4);
  const device = DeviceData.from(data);
  const rng = createRng(`hvp/${b}`);
  const w = tf.tensor1d(initialParameters(arch, 1));
  const v = tf.tensor1d(Float32Array.from(gaussianVector(rng, w.size)));
  const batch = device.slice(0, b);
  const once = (): number => {
    const t0 = now();
    const h = objective.batchHvp(w, v, batch, LAMBDA);
    h.dataSync();
    h.dispose();
    return now() - t0;
  };
  try {
    once();
    return median(Array.from({ length: REPS }, once));
  } finally {
    tf.dispose([w, v, batch.x, batch.y]);
    device.dispose();
  }
}

/** The Newton step's engine work: ∇L(w, D_r) and LiSSA. Returns [ms, of which LiSSA ms]. */
async function newtonStepMs(
  engine: NumericEngine,
  arch: Architecture,
  params: Float32Array,
  retain: Dataset,
  seed: string,
): Promise<[number, number, number]> {
  const t0 = now();
  const r = await engine.inverseHvp({
    arch,
    l2: 5e-4,
    params,
    data: retain,
    damping: LAMBDA,
    // A fixed scale: both backends run the same recursion (the bench compares speed, not LiSSA).
    method: { kind: 'lissa', settings: { ...LISSA, scale: 50, seed } },
  });
  return [now() - t0, r.wallTimeMs, r.gradientMs];
}

interface Measured {
  backend: BackendInfo;
  trainPaper: number;
  trainWide: number;
  hvp: number[];
  lissaMs: number;
  lissaHvps: number;
  rows: { n: number; retrainMs: number; stepMs: number; lissaMs: number; gradMs: number }[];
}

async function measure(mode: Mode, real: Dataset): Promise<Measured> {
  const engine = await createTfjsEngine(mode);
  const backend = await initTensorflow(mode);
  log(`${backend.label}: training steps`);
  const paper = paperMnistMlp();
  const wide = mlp([784, 256, 10], 'relu');
  const d2k = trainingSet(real, 2000);
  const trainPaper = await trainStepMs(engine, paper, d2k, 128);
  const trainWide = await trainStepMs(engine, wide, trainingSet(real, 4096), 1024);
  log(`${backend.label}: HVPs`);
  const hvp = HVP_BATCHES.map((b) => hvpMs(paper, d2k, b));

  const rows: Measured['rows'] = [];
  let lissaMs = NaN;
  for (const n of SIZES) {
    log(`${backend.label}: n = ${n}`);
    const data = trainingSet(real, n);
    const original = await engine.train({ arch: paper, data, recipe: recipe(EPOCHS) });
    const { retain } = forgetRetainSplit(data, { forgetCount: FORGET, seed: 0 });
    const [stepMs, lMs, gradMs] = await newtonStepMs(
      engine,
      paper,
      original.params,
      retain,
      `n${n}`,
    );
    if (n === SIZES[0]) lissaMs = lMs;
    const t0 = now();
    await engine.train({ arch: paper, data: retain, recipe: recipe(EPOCHS) });
    rows.push({ n, retrainMs: now() - t0, stepMs, lissaMs: lMs, gradMs });
  }
  return {
    backend,
    trainPaper,
    trainWide,
    hvp,
    lissaMs,
    lissaHvps: LISSA.chains * LISSA.depth,
    rows,
  };
}

/** Least squares y = a + b·x. */
const line = (xs: number[], ys: number[]): { a: number; b: number } => {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    sxx += ((xs[i] as number) - mx) ** 2;
  }
  const b = sxy / sxx;
  return { a: my - b * mx, b };
};

/**
 * The n where retrain(n)/step(n) = k on the fitted lines retrain = r0 + r1·n, step = s0 + s1·n:
 * n = (k·s0 − r0)/(r1 − k·s1), when the asymptote r1/s1 exceeds k; else never.
 */
const crossing = (m: Measured, k: number): string => {
  const ns = m.rows.map((r) => r.n);
  const r = line(
    ns,
    m.rows.map((x) => x.retrainMs),
  );
  const s = line(
    ns,
    m.rows.map((x) => x.stepMs),
  );
  const asymptote = r.b / s.b;
  if (!(asymptote > k)) return `never (ratio tends to ${num(asymptote)}×)`;
  const n = (k * s.a - r.a) / (r.b - k * s.b);
  return n <= 0 ? 'already at every n measured' : `n ≈ ${num(n)}`;
};

async function main(): Promise<void> {
  const status = readNativeBuildStatus();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log('# (e) Native TensorFlow vs wasm — the same engine code on both backends');
  console.log('');
  console.log(
    `- command: \`npm run bench:unlearning:native\`${quick ? ' (LETHE_BENCH_QUICK=1)' : ''}`,
  );
  console.log(
    `- machine: ${os.cpus().length} cores (${cpu}), shared with other jobs; node ${process.version}; ` +
      `native build: ${status?.ok ? `${status.package} on TensorFlow ${status.tensorflow}` : `none (${status?.reason ?? 'no record'})`}`,
  );
  console.log(`- date: ${new Date().toISOString()}; mode: ${quick ? 'quick' : 'full'}`);
  console.log(
    `- recipe: projected Adam, C = 20, l2 = 5e-4, lr = 1e-3, batch 128, **${EPOCHS} epochs**, seed 42; ` +
      `Newton step = ∇L(w, D_r) + LiSSA (S = ${LISSA.chains}, s = ${LISSA.depth}, b = ${LISSA.batchSize}, λ = ${LAMBDA}); ` +
      `n_u = ${FORGET}; medians of ${REPS} for HVPs`,
  );

  const { train: real } = mnistSplit();
  const modes: Mode[] = status?.ok ? ['tensorflow', 'wasm'] : ['wasm'];
  const results: Measured[] = [];
  for (const mode of modes) results.push(await measure(mode, real));
  const heads = results.map((r) => r.backend.label);
  const speedup = (f: (m: Measured) => number): string =>
    results.length === 2 ? ratio(f(results[1] as Measured) / f(results[0] as Measured)) : '—';

  printTable(
    'Training step and HVP (ms; "wasm / native" > 1 means native is faster)',
    ['operation', ...heads, 'wasm / native'],
    [
      [
        'projected-Adam step, 784-32-32-10, batch 128',
        ...results.map((m) => num(m.trainPaper)),
        speedup((m) => m.trainPaper),
      ],
      [
        'projected-Adam step, 784-256-10, batch 1,024',
        ...results.map((m) => num(m.trainWide)),
        speedup((m) => m.trainWide),
      ],
      ...HVP_BATCHES.map((b, i) => [
        `HVP (double backprop), 784-32-32-10, batch ${b}`,
        ...results.map((m) => num(m.hvp[i])),
        speedup((m) => m.hvp[i] as number),
      ]),
      [
        `LiSSA, ${LISSA.chains} chain × depth ${LISSA.depth}, b = ${LISSA.batchSize} (n = ${SIZES[0]})`,
        ...results.map((m) => `${num(m.lissaMs)} (${num(m.lissaMs / m.lissaHvps)}/HVP)`),
        speedup((m) => m.lissaMs),
      ],
    ],
  );

  printTable(
    `Newton step vs retraining (${EPOCHS} epochs) on D_r, n_u = ${FORGET}`,
    [
      'n',
      ...results.flatMap((m) => [
        `${m.backend.name}: retrain s`,
        `${m.backend.name}: step s (gradient + LiSSA)`,
        `${m.backend.name}: retrain / step`,
      ]),
    ],
    SIZES.map((n, i) => [
      n.toLocaleString('en'),
      ...results.flatMap((m) => {
        const r = m.rows[i]!;
        return [
          sec(r.retrainMs),
          `${sec(r.stepMs)} (${sec(r.gradMs)} + ${sec(r.lissaMs)})`,
          ratio(r.retrainMs / r.stepMs),
        ];
      }),
    ]),
  );

  printTable(
    'Where the step beats retraining (least-squares lines through the measured n)',
    ['backend', 'retrain(n) ms', 'step(n) ms', '10×', '100×'],
    results.map((m) => {
      const ns = m.rows.map((r) => r.n);
      const r = line(
        ns,
        m.rows.map((x) => x.retrainMs),
      );
      const s = line(
        ns,
        m.rows.map((x) => x.stepMs),
      );
      return [
        m.backend.label,
        `${num(r.a)} + ${num(r.b)}·n`,
        `${num(s.a)} + ${num(s.b)}·n`,
        crossing(m, 10),
        crossing(m, 100),
      ];
    }),
    'Retraining grows as epochs × n; the step as one gradient pass over n plus a LiSSA cost that does ' +
      'not depend on n. So the ratio tends to (retrain slope)/(step slope) ≈ epochs × (train cost per ' +
      'row)/(gradient cost per row): more epochs, a cheaper gradient or a bigger n move it up.',
  );
}

run(main);
