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
  forgetRetainSplit,
  gaussianVector,
  initialParameters,
  mlp,
  paperMnistMlp,
  tf,
  type Architecture,
  type BackendInfo,
  type Dataset,
  type NumericEngine,
} from '@lethe/unlearning';
import { backendPlan, median, openBackend, type BackendMode } from '../support/tf-backends';
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

const EPOCHS = quick ? 2 : 10;
const SIZES = quick ? [2000, 9000] : [2000, 9000, 18_000];
const FORGET = 100;
const LAMBDA = 1;
const LISSA = { chains: 1, depth: quick ? 50 : 100, batchSize: 50 };
/** The depth bench (a) and the paper's experiments use: the projection scales LiSSA to it. */
const PAPER_HVPS = 300;
const HVP_BATCHES = [10, 100, 1000];
const REPS = quick ? 5 : 15;

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

async function measure(mode: BackendMode, real: Dataset): Promise<Measured> {
  const { engine, backend } = await openBackend(mode);
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

/** Least squares through the origin: y = b·x. */
const slope = (xs: number[], ys: number[]): number =>
  xs.reduce((s, x, i) => s + x * (ys[i] as number), 0) / xs.reduce((s, x) => s + x * x, 0);

/**
 * The cost model behind the projection: retraining is epochs × n rows of training, r·n; the Newton
 * step is one gradient pass over D_r, g·n, plus LiSSA, whose cost L does not depend on n (S·s
 * minibatch HVPs). r and g are fitted through the origin on the measured n; L is the mean measured
 * LiSSA time scaled to `hvps` HVPs. Then retrain/step = r·n/(L + g·n), which tends to r/g, and
 * equals k at n = k·L/(r − k·g).
 */
interface CostModel {
  r: number;
  g: number;
  L: number;
}
const costModel = (m: Measured, hvps: number): CostModel => {
  const ns = m.rows.map((x) => x.n);
  const lissa = m.rows.reduce((s, x) => s + x.lissaMs, 0) / m.rows.length;
  return {
    r: slope(
      ns,
      m.rows.map((x) => x.retrainMs),
    ),
    g: slope(
      ns,
      m.rows.map((x) => x.gradMs),
    ),
    L: (lissa * hvps) / (LISSA.chains * LISSA.depth),
  };
};
const crossing = ({ r, g, L }: CostModel, k: number): string =>
  r > k * g ? `n ≈ ${num((k * L) / (r - k * g))}` : `never (ratio tends to ${num(r / g)}×)`;
const times = (x: number): string => (Number.isFinite(x) ? `${num(x, 2)}×` : '—');

async function main(): Promise<void> {
  const { modes, machine } = backendPlan();
  console.log('# (e) Native TensorFlow vs wasm — the same engine code on both backends');
  console.log('');
  console.log(
    `- command: \`npm run bench:unlearning:native\`${quick ? ' (LETHE_BENCH_QUICK=1)' : ''}`,
  );
  console.log(machine);
  console.log(`- date: ${new Date().toISOString()}; mode: ${quick ? 'quick' : 'full'}`);
  console.log(
    `- recipe: projected Adam, C = 20, l2 = 5e-4, lr = 1e-3, batch 128, **${EPOCHS} epochs**, seed 42; ` +
      `Newton step = ∇L(w, D_r) + LiSSA (S = ${LISSA.chains}, s = ${LISSA.depth}, b = ${LISSA.batchSize}, λ = ${LAMBDA}); ` +
      `n_u = ${FORGET}; medians of ${REPS} for HVPs`,
  );

  const { train: real } = mnistSplit();
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
          times(r.retrainMs / r.stepMs),
        ];
      }),
    ]),
  );

  printTable(
    'Where the step beats retraining: the cost model fitted on the measured n',
    ['backend', 'LiSSA HVPs', 'retrain(n) ms', 'step(n) ms', 'ratio as n → ∞', '10× at', '100× at'],
    results.flatMap((m) =>
      [LISSA.chains * LISSA.depth, PAPER_HVPS].map((hvps) => {
        const c = costModel(m, hvps);
        return [
          m.backend.label,
          hvps,
          `${num(c.r)}·n`,
          `${num(c.L)} + ${num(c.g)}·n`,
          times(c.r / c.g),
          crossing(c, 10),
          crossing(c, 100),
        ];
      }),
    ),
    `Retraining = ${EPOCHS} epochs × n rows (r·n); the step = one gradient pass over D_r (g·n) plus ` +
      'LiSSA (L, independent of n), fitted through the origin on the rows above; L scaled to the ' +
      `HVP count (${PAPER_HVPS} = bench (a)'s S·s). The ratio tends to r/g = epochs × (train cost per ` +
      'row)/(gradient cost per row), so more epochs raise it and a slower gradient lowers it.',
  );
}

run(main);
