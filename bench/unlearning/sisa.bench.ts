/**
 * Issue 11, part 2: sisa-shard on MNIST, k = 1, 4, 8, 16 shards, against the single deep model.
 *   npm run bench:unlearning:sisa        (LETHE_BENCH_QUICK=1 for a short check)
 * Env: LETHE_SISA_N (training rows, default 9000 = the real training digits; a multiple of 9000
 * above uses the seeded augmentation of common.ts), LETHE_SISA_SHARDS (default 1,4,8,16),
 * LETHE_SISA_SLICES (r, default 4), LETHE_SISA_EPOCHS (default 8), LETHE_SISA_DELETIONS
 * (deletions timed per k, default 3).
 *
 * Model: the paper's MLP 784-32-32-10 (ReLU), projected Adam (docs/method.md §2). Baseline: one
 * model trained on all n rows with the same recipe; a full retrain = training it again on
 * n − 1 rows (the exact method without shards). Each SISA ensemble trains its k constituents in r
 * slice stages of ⌈epochs/r⌉ epochs (docs/method.md §11); a deletion removes one record (a
 * subject = one record here: MNIST has no subjects) and retrains its shard from the checkpoint
 * before its slice. Test accuracy is the ensemble's (mean of softmax) on the 1,000 held-out digits.
 * The deletions are applied one after another to the same ensemble (each a real request).
 *
 * The released ensemble's test accuracy (after the deletions) per k, and the full retrain's, are
 * written to docs/img/accuracy-vs-epsilon.json (LETHE_SISA_PLOT_DATA; not in quick mode unless
 * that is set) as exact series (ε = 0) for `npm run bench:unlearning:plot`.
 */
import * as path from 'node:path';
import {
  createRng,
  createTfjsEngine,
  paperMnistMlp,
  permutation,
  sisaAccuracy,
  trainModel,
  trainSisa,
  unlearnSisa,
  withoutIds,
  recordIsSubject,
  type SisaEnsemble,
} from '@lethe/unlearning';
import { mergePlotSeries, type PlotSeries } from './plot-accuracy-epsilon';
import {
  log,
  mnistSplit,
  now,
  printHeader,
  printTable,
  quick,
  ratio,
  recipe,
  run,
  sec,
  trainingSet,
} from './common';

const N = Number(process.env.LETHE_SISA_N ?? (quick ? 2000 : 9000));
const SHARDS = (process.env.LETHE_SISA_SHARDS ?? (quick ? '1,4' : '1,4,8,16'))
  .split(',')
  .map(Number);
const SLICES = Number(process.env.LETHE_SISA_SLICES ?? 4);
const EPOCHS = Number(process.env.LETHE_SISA_EPOCHS ?? (quick ? 2 : 8));
const DELETIONS = Number(process.env.LETHE_SISA_DELETIONS ?? (quick ? 2 : 3));
const PLOT_DATA =
  process.env.LETHE_SISA_PLOT_DATA ??
  (quick ? null : path.resolve(__dirname, '../../docs/img/accuracy-vs-epsilon.json'));

run(async () => {
  const engine = await createTfjsEngine();
  printHeader(
    engine,
    'sisa-shard: ensemble accuracy and time per deletion',
    'npm run bench:unlearning:sisa',
  );
  const { train: real, test } = mnistSplit();
  const data = trainingSet(real, N);
  const arch = paperMnistMlp();
  const rec = recipe(EPOCHS, { learningRate: 1e-3 });
  console.log(
    `- n = ${N} training rows, ${test.labels.length} test digits; MLP 784-32-32-10 ReLU; ` +
      `${EPOCHS} epochs, batch ${rec.batchSize}, lr ${rec.learningRate}; r = ${SLICES} slices; ` +
      `${DELETIONS} deletions of one record per k`,
  );

  log(`single model on ${N} rows`);
  let t = now();
  const single = await trainModel(engine, { arch, data, recipe: rec });
  const singleTrainMs = now() - t;
  const singleAcc = engine.evaluate(arch, single.params, test).accuracy;
  const victims = Array.from(
    permutation(N, createRng('sisa-bench/victims')).subarray(0, DELETIONS),
  ).map((i) => data.ids[i] as string);
  log('full retrain without one record');
  t = now();
  const retrained = await trainModel(engine, {
    arch,
    data: withoutIds(data, [victims[0] as string]),
    recipe: rec,
  });
  const retrainMs = now() - t;
  const retrainAcc = engine.evaluate(arch, retrained.params, test).accuracy;

  const rows: (string | number)[][] = [
    [
      'single model (no shards)',
      '—',
      singleAcc.toFixed(3),
      retrainAcc.toFixed(3),
      sec(singleTrainMs),
      sec(retrainMs),
      '1.0×',
      '1 model, n rows',
    ],
  ];
  const released: { k: number; accuracy: number }[] = [];
  for (const k of SHARDS) {
    log(`SISA k = ${k}, r = ${SLICES}: training`);
    t = now();
    let e: SisaEnsemble = await trainSisa(engine, {
      arch,
      data,
      recipe: rec,
      settings: { shards: k, slices: SLICES, key: 'sisa-bench', aggregation: 'mean-softmax' },
      subjectOf: recordIsSubject,
    });
    const trainMs = now() - t;
    const accuracy = sisaAccuracy(engine, e, test);
    let current = data;
    const times: number[] = [];
    const fromSlices: number[] = [];
    for (const id of victims) {
      current = withoutIds(current, [id]);
      log(`SISA k = ${k}: deleting ${id}`);
      t = now();
      const out = await unlearnSisa(engine, { ensemble: e, data: current, forgetIds: [id] });
      times.push(now() - t);
      fromSlices.push(out.changes[0]?.fromSlice ?? -1);
      if (out.changes.length !== 1)
        throw new Error(`deletion touched ${out.changes.length} shards`);
      e = out.ensemble;
    }
    const mean = times.reduce((s, x) => s + x, 0) / times.length;
    const after = sisaAccuracy(engine, e, test);
    released.push({ k, accuracy: after });
    rows.push([
      `SISA k = ${k}`,
      SLICES,
      accuracy.toFixed(3),
      after.toFixed(3),
      sec(trainMs),
      sec(mean),
      ratio(retrainMs / mean),
      `≈ ${Math.round(N / k)} rows/shard; restart slices ${fromSlices.join(', ')}`,
    ]);
  }
  printTable(
    `sisa-shard vs the single deep model (MNIST, n = ${N})`,
    [
      'model',
      'r',
      'test accuracy (trained)',
      `test accuracy (after ${DELETIONS} deletions)`,
      'training (s)',
      'per deletion (s)',
      'speed-up vs full retrain',
      'note',
    ],
    rows,
    'Per deletion: the mean wall time of the deletions (one record each, applied in sequence); ' +
      "the single model's column is one full retrain on n − 1 rows. Every SISA deletion is exact (ε = 0): " +
      'the retrained constituent equals training its shard from scratch without the record. ' +
      "The single model's accuracy after deletion is the full retrain's (without the first record).",
  );
  if (PLOT_DATA) {
    const source = `docs/benchmarks.md (h), npm run bench:unlearning:sisa (n = ${N}, r = ${SLICES}, ${EPOCHS} epochs)`;
    const series: PlotSeries[] = [
      ...released.map(({ k, accuracy }): PlotSeries => ({
        key: `sisa-shard-k${k}`,
        label: `sisa-shard k = ${k} (MLP 784-32-32-10 ReLU, after ${DELETIONS} deletions)`,
        guarantee: 'exact',
        source,
        points: [[0, accuracy]],
      })),
      {
        key: 'sisa-single-retrain',
        label: 'retrain of that single ReLU MLP',
        guarantee: 'exact',
        source,
        points: [[0, retrainAcc]],
      },
    ];
    // This bench owns every `sisa-` series: a run with other k values replaces them all.
    mergePlotSeries(PLOT_DATA, series, (key) => key.startsWith('sisa-'));
    log(`wrote ${PLOT_DATA}`);
  }
});
