/**
 * (a) Unlearning vs retraining from scratch on the paper's MNIST MLP (784-32-32-10, p = 26,506).
 *   npm run bench:unlearning:retrain        (LETHE_BENCH_QUICK=1 for a ~1–2 minute check)
 *
 * For growing training sets n (real digits, then seeded augmentation) and n_u removed records:
 * the time of one Newton/LiSSA unlearning step against retraining on D_r with the same recipe,
 * measured side by side in one process; accuracy on test / D_u / D_r of the original, unlearned
 * and retrained models; the distance of the unlearned and of the original model to the retrained
 * weights; the membership-inference AUC; the LiSSA inverse-HVP's error against CG.
 * The unlearning cost is S·s minibatch HVPs plus one gradient pass over D_r (nonconvergence form,
 * the paper's code) or over D_u only (converged form); retraining costs epochs × n.
 */
import {
  collectEvidence,
  createTfjsEngine,
  forgetRetainSplit,
  paperMnistMlp,
  retrainModel,
  trainModel,
  unlearn,
  type Dataset,
  type NumericEngine,
  type TrainedModel,
  type UnlearnOutcome,
  type UpdateForm,
} from '@lethe/unlearning';
import {
  acc,
  log,
  mnistSplit,
  now,
  num,
  printHeader,
  printTable,
  quick,
  useTfSliceBaseline,
  ratio,
  recipe,
  relativeError,
  run,
  sec,
  trainingSet,
} from './common';

const EPOCHS = quick ? 3 : 10;
const SIZES = quick ? [2000, 18_000] : [2000, 9000, 36_000, 144_000];
const FORGET_COUNTS = quick ? [1, 100] : [1, 10, 100, 1000];
/** At the largest n only the paper's default n_u is retrained (each retrain there takes minutes). */
const LARGEST_N_FORGET = quick ? [100] : [1000];
/** CG reference for the LiSSA error: full-data HVPs, affordable up to this n in the time budget. */
const CG_MAX_N = quick ? 2000 : 9000;
const LAMBDA = 1;
const LISSA = { chains: 1, depth: quick ? 100 : 300, batchSize: 50 };
const SIGMA = 1e-3; // the repo's release noise (paper-experiment mode)
const arch = paperMnistMlp();

interface Row {
  n: number;
  nU: number;
  trainMs: number;
  retrainMs: number;
  nonconv: UnlearnOutcome;
  nonconvWallMs: number;
  conv: UnlearnOutcome;
  original: { test: number; forget: number; retain: number };
  unlearned: { test: number; forget: number; retain: number; dist: number; mia?: number };
  retrained: { test: number; forget: number; retain: number; dist: number; mia?: number };
  conv2: { forget: number; test: number; dist: number };
}

const evalAll = (engine: NumericEngine, w: Float32Array, f: Dataset, r: Dataset, t: Dataset) => ({
  test: engine.evaluate(arch, w, t).accuracy,
  forget: engine.evaluate(arch, w, f).accuracy,
  retain: engine.evaluate(arch, w, r).accuracy,
});

const methodMs = (o: UnlearnOutcome): number =>
  (o.private.timingsMs['gradient'] ?? NaN) + (o.private.timingsMs['inverseHvp'] ?? NaN);

async function main(): Promise<void> {
  const engine = await createTfjsEngine('wasm');
  printHeader(
    engine,
    '(a) Unlearning vs retraining from scratch — MNIST MLP 784-32-32-10 (p = 26,506)',
    'npm run bench:unlearning:retrain',
  );
  console.log(
    `- recipe: projected Adam, C = 20, l2 = 5e-4, lr = 1e-3, batch 128, **${EPOCHS} epochs**, seed 42; ` +
      'retraining = the same recipe and seed on D_r',
  );
  console.log(
    `- unlearning: one Newton step, λ = ${LAMBDA}, LiSSA S = ${LISSA.chains} chain(s), depth s = ${LISSA.depth}, ` +
      `Hessian minibatch b = ${LISSA.batchSize}, scale H = 2 × the largest damped minibatch λ_max measured at w* ` +
      `(5 minibatches, Lanczos); release noise σ = ${SIGMA} (paper-experiment mode, as the repo); D_u drawn at random (seed 0)`,
  );
  console.log(
    '- data: the 9,000 real training digits of the `mnist` package (1,000 more held out as the test set); ' +
      'n = 2,000 is a seeded subset; n > 9,000 adds seeded augmented copies (shift ±2 px, pixel noise 0.1)',
  );

  const { train: real, test } = mnistSplit();
  const rows: Row[] = [];
  const lissaRows: (string | number)[][] = [];
  for (const n of SIZES) {
    log(`n = ${n}: building the training set`);
    const data = trainingSet(real, n);
    log(`n = ${n}: training the original model`);
    let t0 = now();
    const original: TrainedModel = await trainModel(engine, { arch, data, recipe: recipe(EPOCHS) });
    const trainMs = now() - t0;

    // LiSSA scale H and the spectrum at w* (a per-model setting, measured once; not in the timings).
    t0 = now();
    const constants = await engine.measureConstants({
      arch,
      params: original.params,
      retain: data,
      l2: 5e-4,
      damping: LAMBDA,
      settings: {
        seed: `constants/${n}`,
        iterations: 20,
        hessianSampleSize: Math.min(n, 3000),
        minibatchSamples: 5,
        batchSize: LISSA.batchSize,
      },
    });
    const constantsMs = now() - t0;
    const H = Math.ceil(constants.suggestedScale);
    const lissa = { kind: 'lissa' as const, settings: { ...LISSA, scale: H } };

    const forgetCounts = n === SIZES[SIZES.length - 1] ? LARGEST_N_FORGET : FORGET_COUNTS;
    for (const nU of forgetCounts) {
      log(`n = ${n}, n_u = ${nU}: retraining`);
      const { forget, retain } = forgetRetainSplit(data, { forgetCount: nU, seed: 0 });
      t0 = now();
      const retrained = await retrainModel(engine, { arch, retain, recipe: recipe(EPOCHS) });
      const retrainMs = now() - t0;

      log(`n = ${n}, n_u = ${nU}: unlearning`);
      const step = async (form: UpdateForm): Promise<[UnlearnOutcome, number]> => {
        const ts = now();
        const out = await unlearn(engine, {
          start: {
            arch,
            params: original.params,
            recipe: recipe(EPOCHS),
            trainingGradientNorm: original.profile.finalGradNorm,
          },
          data,
          forgetIds: forget.ids,
          mode: 'paper-experiment',
          sigma: SIGMA,
          seed: `a/${n}/${nU}/${form}`,
          newton: {
            form,
            damping: LAMBDA,
            inverse: {
              ...lissa,
              settings: { ...lissa.settings, seed: `lissa/${n}/${nU}/${form}` },
            },
          },
        });
        return [out, now() - ts];
      };
      const [nonconv, nonconvWallMs] = await step('nonconvergence');
      const [conv] = await step('converged');

      const ev = (released: Float32Array) =>
        collectEvidence(engine, {
          arch,
          original: original.params,
          released,
          retrained: retrained.params,
          forget,
          retain,
          test,
          ...(nU >= 100 ? { mia: { seed: `mia/${n}/${nU}` } } : {}),
        });
      const evU = ev(nonconv.public.released.params);
      const evR = ev(retrained.params);
      const evC = ev(conv.public.released.params);
      rows.push({
        n,
        nU,
        trainMs,
        retrainMs,
        nonconv,
        nonconvWallMs,
        conv,
        original: evalAll(engine, original.params, forget, retain, test),
        unlearned: {
          test: evU.accuracy.test?.accuracy ?? NaN,
          forget: evU.accuracy.forget.accuracy,
          retain: evU.accuracy.retain.accuracy,
          dist: evU.distanceToRetrained ?? NaN,
          ...(evU.mia ? { mia: evU.mia.auc } : {}),
        },
        retrained: {
          test: evR.accuracy.test?.accuracy ?? NaN,
          forget: evR.accuracy.forget.accuracy,
          retain: evR.accuracy.retain.accuracy,
          dist: evR.distanceToOriginal,
          ...(evR.mia ? { mia: evR.mia.auc } : {}),
        },
        conv2: {
          forget: evC.accuracy.forget.accuracy,
          test: evC.accuracy.test?.accuracy ?? NaN,
          dist: evC.distanceToRetrained ?? NaN,
        },
      });

      // LiSSA error against CG on the same vector ∇L(w*, D_r), once per n (n_u = 100 or the only one).
      const cgHere = nU === 100 || forgetCounts.length === 1;
      if (cgHere) {
        const lissaStep = nonconv.private.projected
          ? undefined
          : original.params.map((w, i) => w - (nonconv.private.chainParams[i] as number));
        let cgCell: (string | number)[] = ['—', '—', '—'];
        if (n <= CG_MAX_N && lissaStep) {
          log(`n = ${n}: CG reference`);
          try {
            const cg = await engine.inverseHvp({
              arch,
              l2: 5e-4,
              params: original.params,
              data: retain,
              damping: LAMBDA,
              method: { kind: 'cg', tolerance: 1e-6, maxIterations: 300 },
            });
            cgCell = [
              cg.iterations ?? '—',
              sec(cg.wallTimeMs),
              num(relativeError(lissaStep, cg.solution)),
            ];
          } catch (e) {
            cgCell = ['failed', '—', (e as { code?: string }).code ?? String(e)];
          }
        }
        lissaRows.push([
          n,
          nU,
          num(constants.lambdaMin),
          num(constants.lambdaMax),
          num(constants.minibatchLambdaMax),
          H,
          sec(constantsMs),
          sec(nonconv.private.timingsMs['inverseHvp'] ?? NaN),
          ...cgCell,
          num(nonconv.private.stepNorm),
          num(nonconv.private.updateGradientNorm),
        ]);
      }
    }
  }

  printTable(
    'Time: one unlearning step (nonconvergence form, the paper code) vs retraining on D_r',
    [
      'n',
      'n_u',
      'train s',
      'retrain s',
      '∇L(D_r) s',
      'LiSSA s',
      'unlearn s (∇L + LiSSA)',
      'unlearn() wall s',
      'speed-up (∇L + LiSSA)',
      'speed-up (wall)',
    ],
    rows.map((r) => [
      r.n,
      r.nU,
      sec(r.trainMs),
      sec(r.retrainMs),
      sec(r.nonconv.private.timingsMs['gradient'] ?? NaN),
      sec(r.nonconv.private.timingsMs['inverseHvp'] ?? NaN),
      sec(methodMs(r.nonconv)),
      sec(r.nonconvWallMs),
      ratio(r.retrainMs / methodMs(r.nonconv)),
      ratio(r.retrainMs / r.nonconvWallMs),
    ]),
    '"unlearn s" is what the paper times (gradient pass over D_r + LiSSA); "unlearn() wall" adds the ' +
      "library's diagnostics (a second gradient pass over D_r for the residual ‖∇L(w~, D_r)‖, the " +
      'release noise, digests). Speed-up = retrain s / unlearn s.',
  );

  printTable(
    'Quality: original (o), unlearned (u, nonconvergence form + σ = 1e-3), retrained (r)',
    [
      'n',
      'n_u',
      'test o / u / r',
      'D_u o / u / r',
      'D_r o / u / r',
      '‖u − r‖',
      '‖o − r‖',
      'MIA AUC u',
      'MIA AUC r',
    ],
    rows.map((r) => [
      r.n,
      r.nU,
      `${acc(r.original.test)} / ${acc(r.unlearned.test)} / ${acc(r.retrained.test)}`,
      `${acc(r.original.forget)} / ${acc(r.unlearned.forget)} / ${acc(r.retrained.forget)}`,
      `${acc(r.original.retain)} / ${acc(r.unlearned.retain)} / ${acc(r.retrained.retain)}`,
      num(r.unlearned.dist),
      num(r.retrained.dist),
      acc(r.unlearned.mia),
      acc(r.retrained.mia),
    ]),
    'MIA: logistic-regression attack on (original, candidate) posteriors telling D_u from 5·n_u D_r ' +
      'rows, 30 % held out (domain mia.ts); 0.5 = nothing to exploit. Not computed for n_u < 100 ' +
      '(too few positives). "MIA AUC r" is the same attack against the retrained model (the target).',
  );

  printTable(
    'Converged form: w~ = w* + (n_u/(n−n_u))·(H+λI)⁻¹∇L(w*, D_u) — no pass over D_r',
    [
      'n',
      'n_u',
      'retrain s',
      '∇L(D_u) s',
      'LiSSA s',
      'unlearn s',
      'speed-up',
      'D_u acc u',
      'test acc u',
      '‖u − r‖',
      '‖step‖',
    ],
    rows.map((r) => [
      r.n,
      r.nU,
      sec(r.retrainMs),
      sec(r.conv.private.timingsMs['gradient'] ?? NaN),
      sec(r.conv.private.timingsMs['inverseHvp'] ?? NaN),
      sec(methodMs(r.conv)),
      ratio(r.retrainMs / methodMs(r.conv)),
      acc(r.conv2.forget),
      acc(r.conv2.test),
      num(r.conv2.dist),
      num(r.conv.private.stepNorm),
    ]),
    'Valid only near a stationary point (∇L(w*, D) = 0); the certified bound adds a term for ' +
      '‖∇L(w*, D)‖ otherwise. Shown because its cost does not grow with n.',
  );

  printTable(
    'LiSSA inverse-HVP at w*: settings and error against conjugate gradient (same vector ∇L(w*, D_r))',
    [
      'n',
      'n_u',
      'λ_min',
      'λ_max',
      'minibatch λ_max (b = 50, +λ)',
      'H',
      'constants s',
      'LiSSA s',
      'CG iterations',
      'CG s',
      'LiSSA rel. error vs CG',
      '‖step‖',
      '‖∇L(w*, D_r)‖',
    ],
    lissaRows,
    `λ_min/λ_max: Lanczos (20 iterations) on a 3,000-row sample of D; H = 2 × the largest damped ` +
      `minibatch λ_max. CG: tolerance 1e-6, full-data HVPs (not run above n = ${CG_MAX_N}: each CG ` +
      'iteration is a pass over D_r). Relative error = ‖x_LiSSA − x_CG‖ / ‖x_CG‖.',
  );

  // What the DeviceData.slice fix is worth: one gradient pass over D, old tf.slice vs gather.
  {
    const bugRows: (string | number)[][] = [];
    const w = (await trainModel(engine, { arch, data: test, recipe: recipe(1) })).params;
    for (const n of SIZES.filter((x) => x >= 9000)) {
      const data = trainingSet(real, n);
      const timed = async (on: boolean): Promise<[number, Float32Array]> => {
        useTfSliceBaseline(!on);
        const t = now();
        const g = await engine.gradient({ arch, l2: 5e-4, params: w, data });
        return [now() - t, g];
      };
      const [shippedMs, g1] = await timed(false);
      const [fixedMs, g2] = await timed(true);
      bugRows.push([
        n,
        sec(shippedMs),
        sec(fixedMs),
        ratio(shippedMs / fixedMs),
        g1.every((v, i) => v === g2[i]) ? 'yes' : 'NO',
      ]);
    }
    printTable(
      'DeviceData.slice fix: one full gradient pass over D, old tf.slice vs gather (the library now)',
      ['n', 'tf.slice s (old)', 'gather s (now)', 'slow-down', 'bit-identical gradient'],
      bugRows,
      'The wasm Slice kernel copies the whole source tensor per 1,000-row chunk, so every full-data ' +
        'pass (gradient, HVP, loss, Lanczos, CG, the end-of-training gradient) was O(n²) with the old ' +
        'tf.slice; every other table uses the library as it is now (gather).',
    );
  }
}

run(main);
