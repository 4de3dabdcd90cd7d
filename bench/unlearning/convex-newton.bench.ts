/**
 * Issue 11: convex-newton against retraining the same model, on MNIST.
 *   npm run bench:unlearning:convex        (LETHE_BENCH_QUICK=1 for a short check)
 *
 * The model is a softmax regression with L2 coefficient λ (LETHE_CONVEX_L2, default 1e-2) on every
 * parameter, on the features of a FROZEN EXTRACTOR: the tanh hidden layer of a 784-H-10 MLP trained
 * only on a designated public split of the digits (LETHE_CONVEX_PUBLIC, default 2,000 of the 9,000
 * training digits) that is never subject to deletion; the deletable data are the other digits,
 * scaled up by the bench's seeded augmentation for larger n. All three ways of reaching the same
 * centre stop at the same private check ‖∇F_r(w)‖/λ ≤ τ (LETHE_CONVEX_TAU, default 1e-3) and release
 * with the same σ (Δ = 2τ at (ε, δ) = (1, 1e-5)); docs/adr/0011-convex-newton.md:
 * - convex-newton, kept factor: the Cholesky factor of the full-data curvature, built once after
 *   training, downdated by the removed rows; steps w ← w − n_r·S⁻¹∇F_r(w) (one float64 gradient each);
 * - convex-newton, Newton-CG: the previous solver (CG with full-data HVPs per step);
 * - retrain: Newton-CG from w = 0 (cold start) on D_r to the same check (the exact fallback, and the
 *   certificate's reference).
 * Sections: per request as n grows (LETHE_CONVEX_SIZES, multiples of the deletable digits), as the
 * feature dimension grows (LETHE_CONVEX_WIDTHS at LETHE_CONVEX_WIDTH_N), a chain of sequential
 * requests with the ledger's cumulative ε (LETHE_CONVEX_REQUESTS on LETHE_CONVEX_SEQ_N), and the
 * test accuracy against ε, written to docs/img/accuracy-vs-epsilon.json (LETHE_CONVEX_PLOT_DATA) for
 * `npm run bench:unlearning:plot`. The private values (steps, gradients, HVPs, ‖∇F_r‖) are printed
 * because a bench may; a certificate never carries them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  addGaussianNoise,
  calibrateSigma,
  convexNewtonUnlearn,
  convexRetrain,
  createRng,
  createTfjsEngine,
  datasetDigest,
  featurize,
  keepConvexFactor,
  permutation,
  processConvexDeletionRequest,
  selectIds,
  startSequentialChain,
  trainConvexModel,
  withoutIds,
  type ConvexNewtonPolicy,
  type ConvexNewtonSettings,
  type ConvexOutcome,
  type Dataset,
  type FeatureExtractor,
  type NumericEngine,
  type SequentialState,
  type SoftmaxHessianFactor,
  type StartPoint,
  type TrainedModel,
} from '@lethe/unlearning';
import { publicSplit, trainFrozenExtractor } from '../support/frozen-extractor';
import {
  log,
  mnistSplit,
  now,
  num,
  printHeader,
  printTable,
  quick,
  ratio,
  run,
  sec,
  trainingSet,
} from './common';

const env = (name: string, full: string, short: string): string =>
  process.env[name] ?? (quick ? short : full);
const L2 = Number(env('LETHE_CONVEX_L2', '1e-2', '1e-2'));
const TAU = Number(env('LETHE_CONVEX_TAU', '1e-3', '1e-3'));
const PUBLIC = Number(env('LETHE_CONVEX_PUBLIC', '2000', '1000'));
const WIDTH = Number(env('LETHE_CONVEX_WIDTH', '64', '32'));
const SIZES = env('LETHE_CONVEX_SIZES', '7000,28000,112000', '2000,8000').split(',').map(Number);
const WIDTHS = env('LETHE_CONVEX_WIDTHS', '32,64,128', '16,32').split(',').map(Number);
const WIDTH_N = Number(env('LETHE_CONVEX_WIDTH_N', '28000', '2000'));
const N_U = Number(env('LETHE_CONVEX_FORGET', '1', '1'));
const SEQ_N = Number(env('LETHE_CONVEX_SEQ_N', '28000', '2000'));
const SEQ_REQUESTS = Number(env('LETHE_CONVEX_REQUESTS', '100', '10'));
const SKIP_CG = process.env.LETHE_CONVEX_SKIP_CG === '1';
/** Kept-factor requests timed per n (each a different record, from the same w* and factor). */
const KEPT_REPEATS = Number(env('LETHE_CONVEX_KEPT_REPEATS', '5', '2'));
const PLOT_DATA =
  process.env.LETHE_CONVEX_PLOT_DATA ??
  path.resolve(__dirname, '../../docs/img/accuracy-vs-epsilon.json');
const TARGET = { epsilon: 1, delta: 1e-5 };
const EPSILONS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 100];
const DRAWS = [1, 2, 3, 4, 5];
const cgSolver = { tolerance: TAU, maxSteps: 5, maxStepsFromScratch: 40, hessian: 'cg' as const };
const keptSolver = { ...cgSolver, keptFactor: true };

const loadAvg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

const pct = (a: number): string => (100 * a).toFixed(2);

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const seededIds = (data: Dataset, count: number, seed: string): string[] =>
  Array.from(permutation(data.ids.length, createRng(seed)).subarray(0, count)).map(
    (i) => data.ids[i] as string,
  );

/** The frozen extractor of width `width` and its MLP's test accuracy (bench/support). */
async function trainExtractor(
  engine: NumericEngine,
  publicSet: Dataset,
  width: number,
  test: Dataset,
): Promise<{ extractor: FeatureExtractor; ms: number; mlpTestAcc: number }> {
  const t0 = now();
  const { extractor, model } = await trainFrozenExtractor(engine, publicSet, {
    width,
    epochs: quick ? 5 : 15,
  });
  return {
    extractor,
    ms: now() - t0,
    mlpTestAcc: engine.evaluate(model.arch, model.params, test).accuracy,
  };
}

interface Prepared {
  readonly data: Dataset;
  readonly test: Dataset;
  readonly model: TrainedModel;
  readonly factor: SoftmaxHessianFactor;
  readonly trainMs: number;
  readonly factorMs: number;
  readonly featurizeMs: number;
}

async function prepare(
  engine: NumericEngine,
  extractor: FeatureExtractor,
  deletable: Dataset,
  testRaw: Dataset,
  n: number,
): Promise<Prepared> {
  const raw = trainingSet(deletable, n, `convex/${n}`);
  const t0 = now();
  const data = featurize(extractor, raw);
  const test = featurize(extractor, testRaw);
  const featurizeMs = now() - t0;
  log(`n = ${n}, d = ${extractor.outputDim}: training the head (Newton-CG from 0 to τ)…`);
  const t1 = now();
  const model = await trainConvexModel(engine, {
    data,
    l2: L2,
    solver: cgSolver,
    dataDigest: datasetDigest(data),
    extractor,
  });
  const trainMs = now() - t1;
  log(`n = ${n}, d = ${extractor.outputDim}: building the kept factor…`);
  const t2 = now();
  const factor = keepConvexFactor(model.params, data, L2);
  const factorMs = now() - t2;
  return { data, test, model, factor, trainMs, factorMs, featurizeMs };
}

interface Measured {
  readonly kept: ConvexOutcome;
  /** The first kept-factor request (cold: its code has not run in this process before). */
  readonly keptMs: number;
  /** Every kept-factor request, in order (the first included). */
  readonly keptAllMs: readonly number[];
  readonly cg?: ConvexOutcome;
  readonly cgMs?: number;
  readonly rt: ConvexOutcome;
  readonly rtMs: number;
  readonly forgetIds: readonly string[];
}

async function oneRequest(
  engine: NumericEngine,
  extractor: FeatureExtractor,
  p: Prepared,
  label: string,
  withCg = !SKIP_CG,
): Promise<Measured> {
  const { data, model, factor } = p;
  const start: StartPoint = {
    arch: model.arch,
    params: model.params,
    recipe: model.profile.recipe,
  };
  const forgetIds = seededIds(data, N_U, `convex/forget/${label}`);
  const settings = (solver: typeof cgSolver): ConvexNewtonSettings => ({
    ...TARGET,
    solver,
    extractor,
  });
  const req = { start, data, forgetIds, seed: `convex/${label}` };
  log(`${label}: convex-newton (kept factor) × ${KEPT_REPEATS}…`);
  const keptAllMs: number[] = [];
  let kept: ConvexOutcome | undefined;
  for (let r = 0; r < KEPT_REPEATS; r++) {
    const ids = r === 0 ? forgetIds : seededIds(data, N_U, `convex/forget/${label}/${r}`);
    const t1 = now();
    const out = await convexNewtonUnlearn(engine, {
      ...req,
      forgetIds: ids,
      settings: settings(keptSolver),
      factor,
    });
    keptAllMs.push(now() - t1);
    kept ??= out;
  }
  if (!kept) throw new Error('LETHE_CONVEX_KEPT_REPEATS must be >= 1');
  const keptMs = keptAllMs[0] as number;
  let cg: ConvexOutcome | undefined;
  let cgMs: number | undefined;
  if (withCg) {
    log(`${label}: convex-newton (Newton-CG)…`);
    const t2 = now();
    cg = await convexNewtonUnlearn(engine, { ...req, settings: settings(cgSolver) });
    cgMs = now() - t2;
  }
  log(`${label}: retrain (Newton-CG from w = 0)…`);
  const t3 = now();
  const rt = await convexRetrain(engine, { ...req, settings: settings(cgSolver) });
  const rtMs = now() - t3;
  return { kept, keptMs, keptAllMs, ...(cg ? { cg, cgMs } : {}), rt, rtMs, forgetIds };
}

const meanTest = (
  engine: NumericEngine,
  p: Prepared,
  centre: Float32Array,
  sigma: number,
  label: string,
): number =>
  DRAWS.map(
    (d) =>
      engine.evaluate(
        p.model.arch,
        addGaussianNoise(centre, sigma, `convex/draw/${label}/${d}`),
        p.test,
      ).accuracy,
  ).reduce((x, y) => x + y, 0) / DRAWS.length;

async function growthWithN(
  engine: NumericEngine,
  extractor: FeatureExtractor,
  deletable: Dataset,
  testRaw: Dataset,
): Promise<Map<number, { readonly p: Prepared; readonly m: Measured }>> {
  const prepared = new Map<number, { readonly p: Prepared; readonly m: Measured }>();
  const rows: (string | number)[][] = [];
  const accRows: (string | number)[][] = [];
  const privRows: (string | number)[][] = [];
  for (const n of SIZES) {
    const load0 = loadAvg();
    const p = await prepare(engine, extractor, deletable, testRaw, n);
    const m = await oneRequest(engine, extractor, p, `n${n}`);
    prepared.set(n, { p, m });
    const { arch } = p.model;
    const sets = {
      test: p.test,
      retain: withoutIds(p.data, m.forgetIds),
      forget: selectIds(p.data, m.forgetIds),
    };
    const accOf = (w: Float32Array) => ({
      test: engine.evaluate(arch, w, sets.test).accuracy,
      retain: engine.evaluate(arch, w, sets.retain).accuracy,
      forget: engine.evaluate(arch, w, sets.forget).accuracy,
    });
    const a = accOf(m.kept.public.released.params);
    const b = accOf(m.rt.public.released.params);
    const sigma = m.kept.public.guarantee.sigma;
    const ma = meanTest(engine, p, m.kept.private.chainParams, sigma, `n${n}`);
    const mb = meanTest(engine, p, m.rt.private.chainParams, sigma, `n${n}`);
    const keptMedian = median(m.keptAllMs);
    rows.push([
      n,
      p.model.arch.kind === 'logistic-regression' ? (p.model.arch.inputDim + 1) * 10 : '—',
      sec(m.keptMs),
      `${sec(keptMedian)} (${m.keptAllMs.map(sec).join(', ')})`,
      m.cgMs !== undefined ? sec(m.cgMs) : '—',
      sec(m.rtMs),
      `**${ratio(m.rtMs / m.keptMs)}**`,
      `**${ratio(m.rtMs / keptMedian)}**`,
      m.cgMs !== undefined ? ratio(m.rtMs / m.cgMs) : '—',
      `${load0} → ${loadAvg()}`,
    ]);
    accRows.push([
      n,
      `${pct(a.test)} / ${pct(b.test)}`,
      `${pct(a.retain)} / ${pct(b.retain)}`,
      `${pct(a.forget)} / ${pct(b.forget)}`,
      `${pct(ma)} / ${pct(mb)}`,
      (100 * (ma - mb)).toFixed(2),
      `${pct(engine.evaluate(arch, m.kept.private.chainParams, p.test).accuracy)} / ${pct(engine.evaluate(arch, m.rt.private.chainParams, p.test).accuracy)}`,
    ]);
    privRows.push([
      n,
      sec(p.featurizeMs),
      sec(p.trainMs),
      sec(p.factorMs),
      sec(m.kept.private.timingsMs['factor'] ?? NaN),
      `${sec(m.kept.private.timingsMs['solve'] ?? NaN)} / ${sec(m.kept.private.timingsMs['total'] ?? NaN)}`,
      `${m.kept.private.factorSteps ?? 0} / ${m.kept.private.gradients ?? 0} / ${m.kept.private.hvps}`,
      m.cg ? `${m.cg.private.newtonSteps} / ${m.cg.private.hvps}` : '—',
      `${m.rt.private.newtonSteps} / ${m.rt.private.hvps}`,
      num(m.kept.private.convexChecks.gradientNorm / L2),
      num(m.rt.private.convexChecks.gradientNorm / L2),
    ]);
  }
  printTable(
    `Time per request of ${N_U} record(s), as n grows (d = ${extractor.outputDim} features, λ = ${L2}, τ = ${TAU}, ε = 1, δ = 1e-5)`,
    [
      'n',
      'p',
      'convex-newton, kept factor: first request s',
      `kept factor: median of ${KEPT_REPEATS} s (each)`,
      'convex-newton, Newton-CG s',
      'retrain (cold, Newton-CG) s',
      'speed-up (first kept request)',
      'speed-up (median kept request)',
      'speed-up (Newton-CG)',
      'load avg 1/5/15 (start → end)',
    ],
    rows,
    'All three stop at the same private check ‖∇F_r(w)‖/λ ≤ τ (float64) and release with the same σ; ' +
      'retrain starts from w = 0 on D_r. Times are wall clock, back to back in one process.',
  );
  printTable(
    'Accuracy % of the releases (kept factor / retrain), same σ',
    [
      'n',
      'test',
      'D_r',
      'D_u',
      `mean test over ${DRAWS.length} seeded draws`,
      'Δ pp (mean)',
      'noise-free test',
    ],
    accRows,
    'The first three columns are of the released draw (CSPRNG); the mean averages seeded draws of the same σ around each noise-free centre.',
  );
  printTable(
    'Private detail (bench only): one-off costs, steps, ‖∇F_r‖/λ at the centre',
    [
      'n',
      'featurize s',
      'train head s',
      'build factor s (one-off)',
      'downdate s (per request)',
      'kept: solve / total s',
      'kept: steps / gradients / HVPs',
      'Newton-CG: steps / HVPs',
      'retrain: steps / HVPs',
      'kept ‖∇F_r‖/λ',
      'retrain ‖∇F_r‖/λ',
    ],
    privRows,
  );
  return prepared;
}

async function growthWithD(
  engine: NumericEngine,
  publicSet: Dataset,
  deletable: Dataset,
  testRaw: Dataset,
): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const width of WIDTHS) {
    const load0 = loadAvg();
    const { extractor, mlpTestAcc } = await trainExtractor(engine, publicSet, width, testRaw);
    const p = await prepare(engine, extractor, deletable, testRaw, WIDTH_N);
    const m = await oneRequest(engine, extractor, p, `d${width}`, false);
    rows.push([
      width,
      (width + 1) * 10,
      sec(p.factorMs),
      sec(m.keptMs),
      sec(m.rtMs),
      `**${ratio(m.rtMs / m.keptMs)}**`,
      pct(engine.evaluate(p.model.arch, m.kept.public.released.params, p.test).accuracy),
      pct(engine.evaluate(p.model.arch, m.rt.public.released.params, p.test).accuracy),
      pct(mlpTestAcc),
      `${load0} → ${loadAvg()}`,
    ]);
  }
  printTable(
    `As the feature dimension grows (n = ${WIDTH_N}, one request of ${N_U} record)`,
    [
      'd (hidden width)',
      'p',
      'build factor s (one-off)',
      'kept factor s',
      'retrain s',
      'speed-up',
      'test acc % (kept)',
      'test acc % (retrain)',
      'extractor MLP test acc %',
      'load avg (start → end)',
    ],
    rows,
  );
}

async function sequential(
  engine: NumericEngine,
  extractor: FeatureExtractor,
  p: Prepared,
  retrainMs: number,
): Promise<void> {
  const { data, model } = p;
  let state: SequentialState = startSequentialChain(model, data.ids);
  let factor: SoftmaxHessianFactor | undefined = p.factor;
  const order = seededIds(data, SEQ_REQUESTS, 'convex/sequential');
  const policy: ConvexNewtonPolicy = {
    mode: 'convex-newton',
    target: TARGET,
    solver: keptSolver,
    extractor,
    retrainAllowed: true,
  };
  const rows: (string | number)[][] = [];
  let totalMs = 0;
  let maxMs = 0;
  let gradients = 0;
  const actions: Record<string, number> = {};
  const load0 = loadAvg();
  for (let k = 0; k < SEQ_REQUESTS; k++) {
    const forgetIds = order.slice(k, k + 1);
    const t = now();
    const step = await processConvexDeletionRequest(engine, {
      state,
      dataset: data,
      forgetIds,
      policy,
      seed: 'convex/sequential',
      ...(factor ? { factor } : {}),
    });
    const ms = now() - t;
    totalMs += ms;
    maxMs = Math.max(maxMs, ms);
    const cand = step.private.candidate as { gradients?: number } | undefined;
    gradients += cand?.gradients ?? 0;
    state = step.private.state;
    factor = step.private.factor;
    actions[step.public.action] = (actions[step.public.action] ?? 0) + 1;
    const k1 = k + 1;
    if (k1 === 1 || k1 % Math.max(1, Math.floor(SEQ_REQUESTS / 10)) === 0) {
      const released = step.public.release?.released.params;
      rows.push([
        k1,
        step.public.action,
        sec(ms),
        num(step.public.cumulative.epsilon),
        num(step.public.cumulative.basic.epsilon),
        num(step.public.cumulative.delta),
        released ? pct(engine.evaluate(state.arch, released, p.test).accuracy) : '—',
      ]);
      log(`sequential: ${k1}/${SEQ_REQUESTS}`);
    }
  }
  printTable(
    `${SEQ_REQUESTS} sequential requests of 1 record on n = ${SEQ_N} (kept factor, ε = 1, δ = 1e-5 per release)`,
    [
      'k',
      'action',
      'time s',
      'cumulative ε (GDP)',
      'basic Σε',
      'cumulative δ',
      'test acc % of release k',
    ],
    rows,
    `Actions: ${JSON.stringify(actions)}. Total ${sec(totalMs)} s, ${sec(totalMs / SEQ_REQUESTS)} s per request ` +
      `(slowest ${sec(maxMs)} s; ${(gradients / SEQ_REQUESTS).toFixed(2)} float64 gradients per request); ` +
      `retraining every request at this n would take ≈ ${sec(retrainMs * SEQ_REQUESTS)} s ` +
      `(${sec(retrainMs)} s measured above): **${ratio((retrainMs * SEQ_REQUESTS) / totalMs)}**. ` +
      `Load average ${load0} → ${loadAvg()}.`,
  );
}

interface PlotSeries {
  readonly key: string;
  readonly label: string;
  readonly guarantee: 'certified' | 'exact';
  readonly source: string;
  readonly points: readonly (readonly [number, number])[];
}

/** Test accuracy of a release against ε (σ for Δ = 2τ around the same noise-free centre). */
function accuracyVersusEpsilon(
  engine: NumericEngine,
  n: number,
  p: Prepared,
  retrainAcc: number,
): void {
  const { model } = p;
  const noiseFree = engine.evaluate(model.arch, model.params, p.test).accuracy;
  const points: [number, number][] = [];
  const rows = EPSILONS.map((epsilon) => {
    const sigma = calibrateSigma({ epsilon, delta: TARGET.delta, sensitivity: 2 * TAU }).sigma;
    const mean = meanTest(engine, p, model.params, sigma, `eps/${epsilon}`);
    points.push([epsilon, mean]);
    return [epsilon, num(sigma), pct(mean), (100 * (mean - noiseFree)).toFixed(2)];
  });
  printTable(
    `Test accuracy of a convex-newton release against ε (n = ${n}, d = ${p.data.dim}, δ = 1e-5, τ = ${TAU}; mean of ${DRAWS.length} seeded draws)`,
    ['ε', 'σ', 'test acc %', 'vs noise-free pp'],
    rows,
    `Noise-free solution: ${pct(noiseFree)} %. Seeded noise here is for the experiment only; releases use a CSPRNG.`,
  );
  const series: PlotSeries[] = [
    {
      key: 'convex-newton',
      label: `convex-newton (softmax head on ${p.data.dim} frozen features, n = ${n})`,
      guarantee: 'certified',
      source: 'docs/benchmarks.md (g), npm run bench:unlearning:convex',
      points,
    },
    {
      key: 'convex-retrain',
      label: 'retrain of that softmax head (exact)',
      guarantee: 'exact',
      source: 'docs/benchmarks.md (g), npm run bench:unlearning:convex',
      points: [[0, retrainAcc]],
    },
  ];
  // Merge by key: other benches (newton-lissa, sisa-shard) keep their own entries in the same file.
  const doc = existsSync(PLOT_DATA)
    ? (JSON.parse(readFileSync(PLOT_DATA, 'utf8')) as { series: PlotSeries[] })
    : { series: [] as PlotSeries[] };
  const keys = new Set(series.map((s) => s.key));
  const merged = { ...doc, series: [...doc.series.filter((s) => !keys.has(s.key)), ...series] };
  writeFileSync(PLOT_DATA, `${JSON.stringify(merged, null, 2)}\n`);
  log(`wrote ${PLOT_DATA}`);
}

async function main(): Promise<void> {
  const engine = await createTfjsEngine();
  printHeader(engine, 'convex-newton vs retrain (issue 11)', 'npm run bench:unlearning:convex');
  console.log(
    `- load average at start (1/5/15 min): ${loadAvg()}; λ = ${L2}, τ = ${TAU}; public split ${PUBLIC} digits; ` +
      `uptime: ${os.uptime().toFixed(0)} s`,
  );
  const { train, test } = mnistSplit();
  const { publicSet, deletable } = publicSplit(train, PUBLIC);
  log(`extractor: 784-${WIDTH}-10 tanh MLP on ${publicSet.ids.length} public digits…`);
  const ex = await trainExtractor(engine, publicSet, WIDTH, test);
  console.log(
    `- extractor: ${ex.extractor.kind}, d = ${ex.extractor.outputDim}, digest ${ex.extractor.digest.slice(0, 16)}…, ` +
      `trained in ${sec(ex.ms)} s on ${publicSet.ids.length} public digits (MLP test acc ${pct(ex.mlpTestAcc)} %); ` +
      `deletable digits: ${deletable.ids.length}`,
  );
  const prepared = await growthWithN(engine, ex.extractor, deletable, test);
  const seq = prepared.get(SEQ_N);
  if (!seq) throw new Error(`the sequential run needs n = ${SEQ_N} among the sizes`);
  if (process.env.LETHE_CONVEX_SKIP_SEQUENTIAL !== '1')
    await sequential(engine, ex.extractor, seq.p, seq.m.rtMs);
  const last = SIZES[SIZES.length - 1] as number;
  const { p: lastP, m: lastM } = prepared.get(last) as { p: Prepared; m: Measured };
  accuracyVersusEpsilon(
    engine,
    last,
    lastP,
    engine.evaluate(lastP.model.arch, lastM.rt.private.chainParams, lastP.test).accuracy,
  );
  if (process.env.LETHE_CONVEX_SKIP_WIDTHS !== '1')
    await growthWithD(engine, publicSet, deletable, test);
}

run(main);
