/**
 * Issue 13: the unlearning step's Hessian-vector products, old against new, per backend, in one
 * process:
 *   npm run bench:unlearning:hvp      (LETHE_BENCH_QUICK=1 for a short check)
 *
 * old = double backprop (`Objective` with hvp 'autodiff') and the per-chain LiSSA loop;
 * new = the analytic R-operator (dense-curvature.ts) and the fused LiSSA (all chains in one
 * batched product per step). The same engine code runs on each backend (native TensorFlow when
 * built, then wasm), old and new interleaved so a drift of the shared machine's load hits both.
 *
 * 1. one minibatch HVP (∇²L_B + (l2+λ)I)·v on the paper MLP at its trained point, batch 10/100/1000;
 *    and the HVP over all of D_r (what CG, Lanczos and the exact solve use);
 * 2. LiSSA per HVP as the chains grow (S = 1, 10, 50; fused vs per-chain);
 * 3. the whole step at the official defaults (S = 10 chains × depth s, b = 10, λ = 0.01,
 *    H = 1000): ∇L(w, D_r) + LiSSA, beside a retrain from scratch (projected Adam, same recipe);
 * 4. the crossover: retraining measured at several n and fitted r·n, the step L + g·n; the n
 *    where the step is as cheap as a retrain, and 10× and 100× cheaper.
 *
 * Environment: LETHE_BENCH_DEPTH (new path's depth, default 1000), LETHE_BENCH_OLD_DEPTH (old
 * path's depth, default 50: its LiSSA time is scaled linearly to the depth, and the table says
 * so), LETHE_BENCH_EPOCHS (default 30, the official code's), LETHE_BENCH_SIZES (default
 * 2000,4000,8000), LETHE_BENCH_BACKENDS (default: tensorflow,wasm where built).
 */
import * as os from 'node:os';
import {
  DeviceData,
  Objective,
  createRng,
  forgetRetainSplit,
  gaussianVector,
  lissaInverseHvp,
  paperMnistMlp,
  tf,
  type BackendInfo,
  type Dataset,
  type HvpPath,
  type LissaPath,
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
  relativeError,
  run,
  sec,
  trainingSet,
} from './common';

const envInt = (name: string, dflt: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? dflt : Number.parseInt(v, 10);
};
const envList = (name: string, dflt: number[]): number[] => {
  const v = process.env[name];
  return v ? v.split(',').map((x) => Number.parseInt(x, 10)) : dflt;
};

const DEPTH = envInt('LETHE_BENCH_DEPTH', quick ? 50 : 1000);
const OLD_DEPTH = envInt('LETHE_BENCH_OLD_DEPTH', quick ? 10 : 50);
const EPOCHS = envInt('LETHE_BENCH_EPOCHS', quick ? 2 : 30);
const SIZES = envList('LETHE_BENCH_SIZES', quick ? [1000, 2000] : [2000, 4000, 8000]);
const OFFICIAL_EPOCHS = 30;
const FORGET = 100;
const L2 = 5e-4;
/** The official code's LiSSA defaults (docs/method.md §8; REPO_LISSA). */
const LISSA = { chains: 10, batchSize: 10, damping: 0.01, scale: 1000 };
const HVP_BATCHES = [10, 100, 1000];
const CHAIN_COUNTS = quick ? [1, 10] : [1, 10, 50];
const CHAIN_DEPTH = quick ? 20 : 100;
const REPS = quick ? 5 : 21;
const arch = paperMnistMlp();

const load = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

/** ms per call of f (which returns a tensor to read back), median of REPS, old/new interleaved. */
function timeInterleaved(fs: (() => tf.Tensor)[], reps = REPS): number[] {
  const once = (f: () => tf.Tensor): number => {
    const t0 = now();
    const t = f();
    t.dataSync();
    t.dispose();
    return now() - t0;
  };
  fs.forEach(once); // warm-up (kernels, first-use compilation)
  const times = fs.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) fs.forEach((f, i) => times[i]?.push(once(f)));
  return times.map(median);
}

interface Measured {
  backend: BackendInfo;
  loadHvp: string;
  /** [batch] → [old ms, new ms] */
  hvp: [number, number][];
  fullHvp: [number, number];
  fullRows: number;
  /** [S] → [per-chain old ms/HVP, per-chain new ms/HVP, fused ms/HVP] */
  chains: [number, number, number][];
  loadStep: string;
  gradientMs: number;
  oldLissaMs: number;
  newLissaMs: number;
  newHvps: number;
  agreement: number;
  maxGrowth: number;
  retrain: { n: number; ms: number; gradMs: number }[];
  loadRetrain: string;
}

async function lissaMs(
  objective: Objective,
  params: Float32Array,
  vector: Float32Array,
  data: DeviceData,
  chains: number,
  depth: number,
  path: LissaPath,
): Promise<{ ms: number; solution: Float32Array; maxGrowth: number }> {
  const t0 = now();
  const r = await lissaInverseHvp({
    objective,
    params,
    vector,
    data,
    settings: { ...LISSA, chains, depth, seed: 'bench-13' },
    path,
  });
  return { ms: now() - t0, solution: r.solution, maxGrowth: r.maxGrowth };
}

async function measure(mode: BackendMode, real: Dataset): Promise<Measured> {
  const { engine, backend } = await openBackend(mode);
  const label = backend.label;
  const objectives: Record<HvpPath, Objective> = {
    autodiff: new Objective(arch, L2, 1000, { hvp: 'autodiff' }),
    analytic: new Objective(arch, L2, 1000, { hvp: 'analytic' }),
  };

  // Retrain at every n (the largest one's model is the point the step runs at).
  const loadRetrain = load();
  const retrain: Measured['retrain'] = [];
  let params: Float32Array = new Float32Array(0);
  let retain: Dataset | undefined;
  for (const n of SIZES) {
    const { retain: dr } = forgetRetainSplit(trainingSet(real, n), {
      forgetCount: FORGET,
      seed: 0,
    });
    log(`${label}: retrain on ${dr.labels.length} rows, ${EPOCHS} epochs`);
    const t0 = now();
    const model = await engine.train({ arch, data: dr, recipe: recipe(EPOCHS) });
    const ms = now() - t0;
    const tg = now();
    await engine.gradient({ arch, l2: L2, params: model.params, data: dr });
    retrain.push({ n, ms, gradMs: now() - tg });
    params = model.params;
    retain = dr;
  }
  if (!retain) throw new Error('no sizes');

  const device = DeviceData.from(retain);
  try {
    // 1. single HVPs.
    log(`${label}: HVPs`);
    const loadHvp = load();
    const w = tf.tensor1d(params);
    const v = tf.tensor1d(Float32Array.from(gaussianVector(createRng('bench-13/v'), w.size)));
    const hvp: [number, number][] = [];
    for (const b of HVP_BATCHES) {
      const batch = device.slice(0, b);
      const [o, nw] = timeInterleaved(
        (['autodiff', 'analytic'] as const).map(
          (p) => () => objectives[p].batchHvp(w, v, batch, LISSA.damping),
        ),
      ) as [number, number];
      hvp.push([o, nw]);
      tf.dispose([batch.x, batch.y]);
    }
    const fullHvp = timeInterleaved(
      (['autodiff', 'analytic'] as const).map(
        (p) => () => objectives[p].hvp(w, v, device, LISSA.damping),
      ),
      Math.min(REPS, 7),
    ) as [number, number];
    tf.dispose([w, v]);

    // The vector of the step: ∇L(w, D_r) (the nonconvergence form).
    const tg = now();
    const g = await engine.gradient({ arch, l2: L2, params, data: retain });
    const gradientMs = now() - tg;

    // 2. LiSSA per HVP as the chains grow.
    log(`${label}: LiSSA by chain count`);
    const chains: [number, number, number][] = [];
    for (const S of CHAIN_COUNTS) {
      const oldDepth = Math.max(2, Math.round(OLD_DEPTH / S));
      const a = await lissaMs(objectives.autodiff, params, g, device, S, oldDepth, 'per-chain');
      const b = await lissaMs(objectives.analytic, params, g, device, S, oldDepth, 'per-chain');
      const c = await lissaMs(objectives.analytic, params, g, device, S, CHAIN_DEPTH, 'fused');
      chains.push([a.ms / (S * oldDepth), b.ms / (S * oldDepth), c.ms / (S * CHAIN_DEPTH)]);
    }

    // 3. the whole step at the official defaults.
    log(`${label}: the step (old at depth ${OLD_DEPTH}, new at depth ${DEPTH})`);
    const loadStep = load();
    const S = LISSA.chains;
    const oldR = await lissaMs(objectives.autodiff, params, g, device, S, OLD_DEPTH, 'per-chain');
    const sameDepth = await lissaMs(objectives.analytic, params, g, device, S, OLD_DEPTH, 'fused');
    const newR = await lissaMs(objectives.analytic, params, g, device, S, DEPTH, 'fused');
    return {
      backend,
      loadHvp,
      hvp,
      fullHvp,
      fullRows: device.n,
      chains,
      loadStep,
      gradientMs,
      oldLissaMs: (oldR.ms * DEPTH) / OLD_DEPTH,
      newLissaMs: newR.ms,
      newHvps: S * DEPTH,
      agreement: relativeError(sameDepth.solution, oldR.solution),
      maxGrowth: newR.maxGrowth,
      retrain,
      loadRetrain,
    };
  } finally {
    device.dispose();
  }
}

/** Least squares through the origin: y = b·x. */
const slope = (xs: number[], ys: number[]): number =>
  xs.reduce((s, x, i) => s + x * (ys[i] as number), 0) / xs.reduce((s, x) => s + x * x, 0);

/** retrain(n) = r·n, step(n) = L + g·n: retrain/step = k at n = k·L/(r − k·g). */
const crossing = (r: number, g: number, L: number, k: number): string =>
  r > k * g ? `n ≈ ${num((k * L) / (r - k * g))}` : `never (ratio → ${num(r / g)}×)`;

async function main(): Promise<void> {
  const wanted = process.env.LETHE_BENCH_BACKENDS?.split(',') as BackendMode[] | undefined;
  const { modes, machine } = backendPlan(wanted);
  console.log('# Issue 13: the unlearning step, old HVP against new, per backend');
  console.log('');
  console.log(
    `- command: \`npm run bench:unlearning:hvp\`${quick ? ' (LETHE_BENCH_QUICK=1)' : ''}`,
  );
  console.log(
    `- env: LETHE_BENCH_DEPTH=${DEPTH} LETHE_BENCH_OLD_DEPTH=${OLD_DEPTH} LETHE_BENCH_EPOCHS=${EPOCHS} ` +
      `LETHE_BENCH_SIZES=${SIZES.join(',')} LETHE_BENCH_BACKENDS=${modes.join(',')}`,
  );
  console.log(machine);
  console.log(`- date: ${new Date().toISOString()}; load average at start (1/5/15 min): ${load()}`);
  console.log(
    `- model: the paper MLP 784-32-32-10 (ReLU, p = 26,506), l2 = ${L2}; data: n real MNIST digits ` +
      `(seeded subset), n_u = ${FORGET} removed; retrain = projected Adam, batch 128, ${EPOCHS} epochs; ` +
      `LiSSA: S = ${LISSA.chains}, b = ${LISSA.batchSize}, λ = ${LISSA.damping}, H = ${LISSA.scale}; ` +
      `HVP medians of ${REPS}, old and new interleaved`,
  );

  const { train: real } = mnistSplit();
  const results: Measured[] = [];
  for (const mode of modes) results.push(await measure(mode, real));

  for (const m of results) {
    const label = m.backend.label;
    printTable(
      `${label}: one HVP (ms), load ${m.loadHvp}`,
      ['HVP', 'old: double backprop', 'new: R-operator', 'old / new'],
      [
        ...HVP_BATCHES.map((b, i) => {
          const [o, nw] = m.hvp[i] as [number, number];
          return [`minibatch, b = ${b}`, num(o), num(nw), ratio(o / nw)];
        }),
        [
          `all of D_r (${m.fullRows} rows, chunks of 1,000; median of ${Math.min(REPS, 7)})`,
          num(m.fullHvp[0]),
          num(m.fullHvp[1]),
          ratio(m.fullHvp[0] / m.fullHvp[1]),
        ],
      ],
    );
    printTable(
      `${label}: LiSSA, ms per HVP at b = ${LISSA.batchSize} as the chains grow`,
      [
        'chains S',
        'old: per-chain, double backprop',
        'per-chain, R-operator',
        'new: fused, R-operator',
        'old / new',
      ],
      CHAIN_COUNTS.map((S, i) => {
        const [a, b, c] = m.chains[i] as [number, number, number];
        return [S, num(a), num(b), num(c), ratio(a / c)];
      }),
      `Old and per-chain at depth ${OLD_DEPTH}/S (at least 2), fused at depth ${CHAIN_DEPTH}.`,
    );
    const last = m.retrain[m.retrain.length - 1] as Measured['retrain'][number];
    const oldStep = m.gradientMs + m.oldLissaMs;
    const newStep = m.gradientMs + m.newLissaMs;
    printTable(
      `${label}: the step at the official defaults (S = ${LISSA.chains} × depth ${DEPTH}) beside a retrain, n = ${last.n}, load ${m.loadStep}`,
      [
        '',
        'per HVP ms',
        'LiSSA s',
        'whole step s (gradient + LiSSA)',
        'retrain s',
        'retrain / step',
      ],
      [
        [
          `old (per-chain, double backprop; LiSSA at depth ${OLD_DEPTH}, × ${num(DEPTH / OLD_DEPTH)})`,
          num(m.oldLissaMs / m.newHvps),
          sec(m.oldLissaMs),
          `${sec(oldStep)} (${sec(m.gradientMs)} + ${sec(m.oldLissaMs)})`,
          sec(last.ms),
          ratio(last.ms / oldStep),
        ],
        [
          'new (fused, R-operator; measured)',
          num(m.newLissaMs / m.newHvps),
          sec(m.newLissaMs),
          `${sec(newStep)} (${sec(m.gradientMs)} + ${sec(m.newLissaMs)})`,
          sec(last.ms),
          ratio(last.ms / newStep),
        ],
      ],
      `old ÷ new LiSSA: ${ratio(m.oldLissaMs / m.newLissaMs)}. The two paths agree: at depth ${OLD_DEPTH}, ` +
        `same seed (same minibatches), ‖new − old‖/‖old‖ = ${num(m.agreement)}. ` +
        `New path max growth ${num(m.maxGrowth)} (≤ 1: the recursion converged). Retrain load ${m.loadRetrain}.`,
    );
    const ns = m.retrain.map((x) => x.n);
    const r = slope(
      ns,
      m.retrain.map((x) => x.ms),
    );
    const g = slope(
      ns,
      m.retrain.map((x) => x.gradMs),
    );
    const rows = [
      ['old', m.oldLissaMs, EPOCHS],
      ['new', m.newLissaMs, EPOCHS],
      ...(EPOCHS !== OFFICIAL_EPOCHS
        ? [
            ['old', m.oldLissaMs, OFFICIAL_EPOCHS],
            ['new', m.newLissaMs, OFFICIAL_EPOCHS],
          ]
        : []),
    ] as [string, number, number][];
    printTable(
      `${label}: where the step beats retraining (retrain measured at n = ${ns.join(', ')})`,
      ['step', 'epochs', 'retrain(n) ms', 'step(n) ms', 'step = retrain at', '10× at', '100× at'],
      rows.map(([which, L, epochs]) => {
        const re = (r * epochs) / EPOCHS;
        return [
          which,
          epochs === EPOCHS ? `${epochs} (measured)` : `${epochs} (scaled from ${EPOCHS})`,
          `${num(re)}·n`,
          `${num(L)} + ${num(g)}·n`,
          crossing(re, g, L, 1),
          crossing(re, g, L, 10),
          crossing(re, g, L, 100),
        ];
      }),
      `Retrain measured: ${m.retrain.map((x) => `n = ${x.n}: ${sec(x.ms)} s (gradient ${sec(x.gradMs)} s)`).join('; ')}. ` +
        'r and g fitted through the origin; L = the LiSSA time above (independent of n).',
    );
  }
}

run(main);
