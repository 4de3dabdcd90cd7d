/**
 * (b) LiSSA vs the exact inverse (and CG) as the parameter count grows.
 *   npm run bench:unlearning:inverse        (LETHE_BENCH_QUICK=1 for a ~1–2 minute check)
 *
 * MLPs of the paper's shape 784-h-h-10 (h = 32 is the paper's model, p = 26,506) trained on the
 * same real digits. At each w*: (∇²L(w*, D_r) + λI)⁻¹ ∇L(w*, D_r) by
 *  - exact: the dense Hessian column by column (p full-data HVPs) + float64 Cholesky (p³/3 flops);
 *  - CG: full-data HVPs until the relative residual is 1e-6;
 *  - LiSSA: S chains of depth s on minibatches of b rows (the paper's method).
 * The exact solve is measured where it fits the time budget and extrapolated to the paper's
 * p = 26,506 from the measured growth (the fits are printed).
 */
import {
  DeviceData,
  Objective,
  createTfjsEngine,
  forgetRetainSplit,
  hessianOperator,
  mlp,
  parameterCount,
  tf,
  trainModel,
  type InverseHvpResult,
} from '@lethe/unlearning';
import { fitPowerLaw, fitScale } from './fit';
import {
  acc,
  log,
  mnistSplit,
  now,
  num,
  printHeader,
  printTable,
  quick,
  ratio,
  recipe,
  relativeError,
  run,
  sec,
  trainingSet,
} from './common';

const N = quick ? 500 : 1100;
const N_FORGET = quick ? 25 : 100;
const EPOCHS = 10;
const WIDTHS = quick ? [1, 2, 32] : [1, 2, 4, 8, 16, 32];
/** Largest p whose dense Hessian is built and factorised (the rest is extrapolated). */
const EXACT_MAX_P = quick ? 2000 : 7000;
const LAMBDA = 1;
const BENCH_LISSA = { chains: 1, depth: quick ? 100 : 300, batchSize: 50 };
/** The repo's defaults (s1 = 10 chains, s2 = 1000 deep, b = 10, scale 1000), run on the paper's model. */
const REPO_LISSA = quick
  ? { chains: 1, depth: 200, batchSize: 10, scale: 1000 }
  : { chains: 10, depth: 1000, batchSize: 10, scale: 1000 };
const PAPER_P = 26_506;

interface WidthRow {
  h: number;
  p: number;
  testAcc: number;
  lambdaMin: number;
  H: number;
  fullHvpMs: number;
  exact?: { totalMs: number; buildMs: number; factorMs: number; x: Float64Array | Float32Array };
  exactNote?: string;
  cg?: InverseHvpResult;
  cgNote?: string;
  lissa: InverseHvpResult;
  repo?: InverseHvpResult;
}

async function main(): Promise<void> {
  const engine = await createTfjsEngine('wasm');
  printHeader(
    engine,
    '(b) LiSSA vs exact inverse-HVP as the parameter count grows — MLP 784-h-h-10',
    'npm run bench:unlearning:inverse',
  );
  console.log(
    `- data: ${N} real digits (seeded subset), D_u = ${N_FORGET} random (seed 0), D_r = ${N - N_FORGET}; ` +
      `each width trained ${EPOCHS} epochs (C = 20, l2 = 5e-4, lr = 1e-3, batch 128, seed 42)`,
  );
  console.log(
    `- solve (∇²L(w*, D_r) + λI) x = ∇L(w*, D_r), λ = ${LAMBDA}. Exact = p full-data HVPs + float64 ` +
      `Cholesky in plain TypeScript (LU if not positive definite); CG tolerance 1e-6; LiSSA (bench) ` +
      `S = ${BENCH_LISSA.chains}, s = ${BENCH_LISSA.depth}, b = ${BENCH_LISSA.batchSize}, H = 2 × measured ` +
      `minibatch λ_max; LiSSA (repo) S = ${REPO_LISSA.chains}, s = ${REPO_LISSA.depth}, b = ${REPO_LISSA.batchSize}, ` +
      `H = ${REPO_LISSA.scale}, on the paper's model only`,
  );

  const { train: real, test } = mnistSplit();
  const data = trainingSet(real, N);
  const { retain } = forgetRetainSplit(data, { forgetCount: N_FORGET, seed: 0 });
  const rows: WidthRow[] = [];
  for (const h of WIDTHS) {
    const arch = mlp([784, h, h, 10]);
    const p = parameterCount(arch);
    log(`h = ${h} (p = ${p}): training`);
    const model = await trainModel(engine, { arch, data, recipe: recipe(EPOCHS) });
    const constants = await engine.measureConstants({
      arch,
      params: model.params,
      retain,
      l2: 5e-4,
      damping: LAMBDA,
      settings: { seed: `b/${h}`, iterations: 20, minibatchSamples: 5, batchSize: 50 },
    });
    const H = Math.ceil(constants.suggestedScale);
    const g = await engine.gradient({ arch, l2: 5e-4, params: model.params, data: retain });
    const spec = { arch, l2: 5e-4, params: model.params, data: retain, damping: LAMBDA, vector: g };

    // One full-data HVP (the unit of the exact build and of CG), median of 3.
    const objective = new Objective(arch, 5e-4);
    const device = DeviceData.from(retain);
    const w = tf.tensor1d(model.params);
    const v = tf.tensor1d(g);
    const op = hessianOperator(objective, w, device, LAMBDA);
    op.apply(v).dispose();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = now();
      const r = op.apply(v);
      r.dataSync();
      r.dispose();
      times.push(now() - t0);
    }
    times.sort((a, b) => a - b);
    w.dispose();
    v.dispose();
    device.dispose();

    const row: WidthRow = {
      h,
      p,
      testAcc: engine.evaluate(arch, model.params, test).accuracy,
      lambdaMin: constants.lambdaMin,
      H,
      fullHvpMs: times[1] as number,
      lissa: await engine.inverseHvp({
        ...spec,
        method: { kind: 'lissa', settings: { ...BENCH_LISSA, scale: H, seed: `b/lissa/${h}` } },
      }),
    };
    log(`h = ${h}: CG`);
    try {
      row.cg = await engine.inverseHvp({
        ...spec,
        method: { kind: 'cg', tolerance: 1e-6, maxIterations: 2000 },
      });
    } catch (e) {
      row.cgNote = (e as { code?: string }).code ?? String(e);
    }
    if (p <= EXACT_MAX_P) {
      log(`h = ${h}: exact (dense Hessian, ${p} HVPs, then Cholesky)`);
      let builtAt = NaN;
      const t0 = now();
      try {
        const ex = await engine.inverseHvp({
          ...spec,
          method: { kind: 'exact', maxParams: EXACT_MAX_P, allowIndefinite: true },
          onProgress: (pr) => {
            if (pr.phase === 'exact-hessian' && pr.done === pr.total) builtAt = now();
          },
        });
        const end = now();
        row.exact = {
          totalMs: ex.wallTimeMs,
          buildMs: builtAt - t0,
          factorMs: end - builtAt,
          x: ex.solution,
        };
      } catch (e) {
        row.exactNote = (e as { code?: string }).code ?? String(e);
      }
    }
    if (p === PAPER_P) {
      log(`h = ${h}: LiSSA with the repo's settings`);
      try {
        row.repo = await engine.inverseHvp({
          ...spec,
          method: { kind: 'lissa', settings: { ...REPO_LISSA, seed: 'b/repo' } },
        });
      } catch (e) {
        log(`repo LiSSA failed: ${String(e)}`);
      }
    }
    rows.push(row);
  }

  // Extrapolation of the exact solve from the measured widths.
  const measured = rows.filter((r) => r.exact);
  const ps = measured.map((r) => r.p);
  const total = fitPowerLaw(
    ps,
    measured.map((r) => r.exact!.totalMs),
  );
  // The O(p³) factorisation only dominates its own overheads from p ≈ 1,500 on.
  const large = measured.filter((r) => r.p >= 1500);
  const factorPts = large.length >= 2 ? large : measured;
  const factorPow = fitPowerLaw(
    factorPts.map((r) => r.p),
    factorPts.map((r) => r.exact!.factorMs),
  );
  const factorCube = fitScale(
    factorPts.map((r) => r.p),
    factorPts.map((r) => r.exact!.factorMs),
    (x) => x ** 3,
  );
  const componentModel = (r: WidthRow): number => r.p * r.fullHvpMs + factorCube.predict(r.p);

  printTable(
    'Inverse-HVP cost and error by parameter count',
    [
      'h',
      'p',
      'test acc',
      'λ_min',
      'H',
      'full HVP ms',
      'exact s (HVPs + factor)',
      'CG s (iterations)',
      'LiSSA s',
      'exact / LiSSA',
      'LiSSA err vs exact',
      'LiSSA err vs CG',
      'CG err vs exact',
    ],
    rows.map((r) => {
      const ex = r.exact;
      const exactMs = ex ? ex.totalMs : componentModel(r);
      return [
        r.h,
        r.p,
        acc(r.testAcc),
        num(r.lambdaMin),
        r.H,
        num(r.fullHvpMs),
        ex
          ? `${sec(ex.totalMs)} (${sec(ex.buildMs)} + ${sec(ex.factorMs)})`
          : `≈ ${sec(exactMs)} (extrapolated)${r.exactNote ? ` ${r.exactNote}` : ''}`,
        r.cg ? `${sec(r.cg.wallTimeMs)} (${r.cg.iterations})` : (r.cgNote ?? '—'),
        sec(r.lissa.wallTimeMs),
        `${ex ? '' : '≈ '}${ratio(exactMs / r.lissa.wallTimeMs)}`,
        ex ? num(relativeError(r.lissa.solution, ex.x)) : '—',
        r.cg ? num(relativeError(r.lissa.solution, r.cg.solution)) : '—',
        ex && r.cg ? num(relativeError(r.cg.solution, ex.x)) : '—',
      ];
    }),
    'exact s = dense build (p HVPs over D_r) + Cholesky/LU and solve; "≈" rows are extrapolated with the ' +
      'component model below (p × the measured full HVP time + c·p³). Errors are ‖x − x_ref‖/‖x_ref‖.',
  );

  const paper = rows.find((r) => r.p === PAPER_P);
  const fitRows: (string | number)[][] = [
    [
      'exact total (power law over measured p)',
      `${num(total.a)} · p^${total.k.toFixed(2)} ms`,
      total.r2.toFixed(4),
      `${sec(total.predict(PAPER_P))} s`,
    ],
    [
      `factorisation only (power law, p ≥ ${Math.min(...factorPts.map((r) => r.p))})`,
      `${num(factorPow.a)} · p^${factorPow.k.toFixed(2)} ms`,
      factorPow.r2.toFixed(4),
      `${sec(factorPow.predict(PAPER_P))} s`,
    ],
    [
      'component model: p × full HVP(p) + c·p³',
      `c = ${num(factorCube.c)} ms (≈ ${num(1 / (factorCube.c * 3e6), 2)} GFLOP/s at p³/3 flops)`,
      '—',
      paper ? `${sec(componentModel(paper))} s` : '—',
    ],
  ];
  printTable(
    `Exact solve extrapolated to the paper's MLP (p = ${PAPER_P.toLocaleString('en')})`,
    ['fit', 'model', 'R²', `predicted exact time at p = ${PAPER_P}`],
    fitRows,
    `A dense Hessian at p = ${PAPER_P} is ${num((8 * PAPER_P * PAPER_P) / 2 ** 30)} GiB of float64.`,
  );

  if (paper) {
    const exactEst = componentModel(paper);
    const ref = paper.cg?.solution;
    const lissaRows = [
      ['bench (S·s = ' + BENCH_LISSA.chains * BENCH_LISSA.depth + ')', paper.lissa] as const,
      ...(paper.repo
        ? [['repo (S·s = ' + REPO_LISSA.chains * REPO_LISSA.depth + ')', paper.repo] as const]
        : []),
    ];
    printTable(
      `Speed-up of LiSSA over the exact inverse at p = ${PAPER_P} (paper: 470× on an A6000)`,
      [
        'LiSSA settings',
        'HVPs',
        'LiSSA s',
        'exact s (component model)',
        'exact s (power law)',
        'speed-up (component / power law)',
        'rel. error vs CG',
      ],
      lissaRows.map(([name, l]) => [
        name,
        l.iterations ?? '—',
        sec(l.wallTimeMs),
        sec(exactEst),
        sec(total.predict(PAPER_P)),
        `${ratio(exactEst / l.wallTimeMs)} / ${ratio(total.predict(PAPER_P) / l.wallTimeMs)}`,
        ref ? num(relativeError(l.solution, ref)) : '—',
      ]),
    );
  }
}

run(main);
