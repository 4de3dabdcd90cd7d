/**
 * Issue 11, through the product: the time of one convex-newton deletion job in the worker's job
 * path (JobRunner: read D_r from its dataset source, load the private chain state and the KEPT
 * FACTOR, solve, sign, store the version, the chain state and the next factor), side by side in one
 * process with the same job when the factor must be rebuilt, and with the exact fallback (a cold
 * retrain of the same head to the same τ, through the same job path).
 *   npm run bench:unlearning:convex-worker        (LETHE_BENCH_QUICK=1 for a short check)
 *
 * Data as in convex-newton.bench.ts: the hidden layer of a 784-H-10 tanh MLP trained on 2,000
 * public digits is the frozen extractor; its features of n deletable digits (LETHE_CONVEX_WORKER_N,
 * default 7,000, seeded augmentation beyond 7,000) are written as an NDJSON dataset source; the
 * model is a softmax head on them (λ = 1e-2, τ = 1e-3, (ε, δ) = (1, 1e-5)). Stores are the real
 * directory adapters in a temp folder (fsync'ed writes), the result sink is in memory.
 */
import * as os from 'node:os';
import { rmSync } from 'node:fs';
import { ModelId, type UnlearningResultDataV1 } from '@lethe/shared';
import { createTfjsEngine, featurize, type Dataset } from '@lethe/unlearning';
import type { LoggerPort } from '@lethe/shared/application';
import {
  aTrainingJob,
  anUnlearningJob,
  aWorkerFixture,
  jobMessage,
  writeNdjsonSource,
  type WorkerFixture,
} from '../../libs/unlearning/src/testing/jobs/job-factories';
import {
  log,
  mnistSplit,
  now,
  printHeader,
  printTable,
  quick,
  ratio,
  run,
  sec,
  trainingSet,
} from './common';
import { publicSplit, trainFrozenExtractor } from '../support/frozen-extractor';

const N = Number(process.env.LETHE_CONVEX_WORKER_N ?? (quick ? '2000' : '7000'));
const WIDTH = Number(process.env.LETHE_CONVEX_WIDTH ?? (quick ? '32' : '64'));
const JOBS = Number(process.env.LETHE_CONVEX_WORKER_JOBS ?? (quick ? '2' : '4'));
const TAU = 1e-3;
const L2 = 1e-2;

const loadAvg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

const profile = (policy: Record<string, unknown> = {}) => ({
  architecture: { kind: 'logistic-regression' },
  recipe: { l2: L2, seed: 1 },
  policy: {
    methods: ['convex-newton', 'retrain'],
    target: { epsilon: 1, delta: 1e-5 },
    convex: { tolerance: TAU, maxSteps: 5, maxStepsFromScratch: 40, hessian: 'cg' },
    ...policy,
  },
});

const recording = (): LoggerPort & { lines: string[] } => {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
};

async function main(): Promise<void> {
  const engine = await createTfjsEngine();
  printHeader(
    engine,
    'convex-newton through the worker job path (issue 11)',
    'npm run bench:unlearning:convex-worker',
  );
  console.log(`- uptime at start: \`${os.uptime().toFixed(0)} s\`, load average ${loadAvg()}`);
  const { train } = mnistSplit();
  const { publicSet: pub, deletable: del } = publicSplit(train);
  log(`extractor 784-${WIDTH}-10 on 2,000 public digits…`);
  const { extractor } = await trainFrozenExtractor(engine, pub, {
    width: WIDTH,
    epochs: quick ? 5 : 15,
    description: 'bench extractor',
  });
  const data: Dataset = featurize(extractor, trainingSet(del, N, `convex/${N}`));
  const f: WorkerFixture = await aWorkerFixture(engine);
  const copies: WorkerFixture[] = [];
  try {
    const datasets = [
      { datasetId: 'ds', source: writeNdjsonSource(f.dataRoot, 'ds.ndjson', data) },
    ];
    const handle = async (w: WorkerFixture, msg: Buffer) => {
      const logger = recording();
      const t = now();
      const out = await w.runner({ logger }).handle(msg);
      const ms = now() - t;
      const r = (out as { result: UnlearningResultDataV1 }).result;
      if (r.kind !== 'trained' && r.kind !== 'succeeded')
        throw new Error(`job ${r.kind}: ${JSON.stringify(r)}`);
      return { ms, r, log: logger.lines };
    };
    const forget = (i: number) => [
      { datasetId: 'ds', recordId: data.ids[(i * 997) % N] as string },
    ];
    const unlearnJob = (
      w: WorkerFixture,
      i: number,
      baseVersion: number,
      policy?: Record<string, unknown>,
    ) =>
      handle(
        w,
        jobMessage(
          anUnlearningJob({
            modelId: 'head',
            baseVersion,
            records: forget(i),
            datasets,
            ...(policy ? { policy: policy } : {}),
          }),
        ),
      );
    const load0 = loadAvg();
    log(`training job (n = ${N}, p = ${(WIDTH + 1) * 10})…`);
    const trained = await handle(
      f,
      jobMessage(aTrainingJob({ modelId: 'head', datasets, profile: profile() })),
    );
    const rows: (string | number)[][] = [];
    rows.push([
      'training job (Newton-CG from 0, + the kept factor of D at w*)',
      '—',
      sec(trained.ms),
      '—',
      `${load0} → ${loadAvg()}`,
    ]);
    // The exact fallback through the same path: a budget that cannot take one release → retrain
    // (cold, from w = 0, no factor), on a copy of the stores so the chain above is untouched.
    const keptMs: number[] = [];
    for (let j = 0; j < JOBS; j++) {
      const l0 = loadAvg();
      log(`deletion job ${j + 1} (kept factor)…`);
      const out = await unlearnJob(f, j, 1 + j);
      keptMs.push(out.ms);
      const how = out.log.find((l) => l.includes('kept convex factor')) ?? '';
      rows.push([
        `deletion job ${j + 1}: convex-newton, kept factor`,
        how.replace(/^job \S+: /, ''),
        sec(out.ms),
        (out.r as { method?: string }).method ?? '',
        `${l0} → ${loadAvg()}`,
      ]);
    }
    const rebuildStore = await aWorkerFixture(engine, f);
    copies.push(rebuildStore);
    rmSync(`${rebuildStore.root}/private/chains/head/${1 + JOBS}.factor`);
    let l0 = loadAvg();
    log('deletion job, factor missing (rebuilt)…');
    const rebuilt = await unlearnJob(rebuildStore, 100, 1 + JOBS);
    rows.push([
      'deletion job: convex-newton, factor missing → rebuilt on D_r',
      'rebuilt',
      sec(rebuilt.ms),
      (rebuilt.r as { method?: string }).method ?? '',
      `${l0} → ${loadAvg()}`,
    ]);
    const retrainStore = await aWorkerFixture(engine, f);
    copies.push(retrainStore);
    l0 = loadAvg();
    log('deletion job, exact fallback (retrain from w = 0)…');
    const retrain = await unlearnJob(retrainStore, 100, 1 + JOBS, {
      ...profile().policy,
      convex: { ...profile().policy.convex, keptFactor: false },
      cumulativeBudget: { epsilon: 0.5, delta: 1e-5 },
    });
    rows.push([
      'deletion job: retrain (cold, Newton-CG from w = 0, same τ, same σ)',
      '—',
      sec(retrain.ms),
      (retrain.r as { method?: string }).method ?? '',
      `${l0} → ${loadAvg()}`,
    ]);
    const median = [...keptMs].sort((a, b) => a - b)[keptMs.length >> 1] as number;
    printTable(
      `One deletion job of 1 record through the worker (n = ${N}, d = ${WIDTH}, p = ${(WIDTH + 1) * 10}, λ = ${L2}, τ = ${TAU}, ε = 1, δ = 1e-5)`,
      ['job', 'kept factor', 'wall s', 'method', 'load avg 1/5/15 (start → end)'],
      rows,
      `Per job: retrain ${sec(retrain.ms)} s vs kept factor median ${sec(median)} s: **${ratio(retrain.ms / median)}**; ` +
        `vs the first kept job ${sec(keptMs[0] as number)} s: ${ratio(retrain.ms / (keptMs[0] as number))}; ` +
        `rebuilt factor ${sec(rebuilt.ms)} s. Versions stored: ${(await f.modelStore.listVersions(ModelId('head'))).length}.`,
    );
  } finally {
    for (const c of copies) c.cleanup();
    f.cleanup();
  }
}

run(main);
