/**
 * Issue 11, through the product: the time of one convex-newton deletion job in the worker's job
 * path (JobRunner: read D_r from its dataset source, load the private chain state and the KEPT
 * FACTOR, solve, sign, store the version, the chain state and the next factor), side by side in one
 * process with the same job without the worker's cache of parsed rows, when the factor must be
 * rebuilt (LETHE_CONVEX_WORKER_REBUILD=0 skips it), and with the exact fallback (a cold retrain of
 * the same head to the same τ, through the same job path). Per job: wall time, Node CPU, and the
 * job runner's spans (ms per phase). Figures: docs/benchmarks.md (g).
 *   npm run bench:unlearning:convex-worker        (LETHE_BENCH_QUICK=1 for a short check)
 *
 * Data as in convex-newton.bench.ts: the hidden layer of a 784-H-10 tanh MLP trained on 2,000
 * public digits is the frozen extractor; its features of n deletable digits (LETHE_CONVEX_WORKER_SIZES,
 * comma-separated, default 7,000, seeded augmentation beyond 7,000) are written as an NDJSON dataset source; the
 * model is a softmax head on them (λ = 1e-2, τ = 1e-3, (ε, δ) = (1, 1e-5)). Stores are the real
 * directory adapters in a temp folder (fsync'ed writes), the result sink is in memory.
 */
import * as os from 'node:os';
import { rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { ModelId } from '@lethe/shared';
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
import { JobRunner } from '../../libs/unlearning/src/application/jobs/job-runner';
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

const SIZES = (
  process.env.LETHE_CONVEX_WORKER_SIZES ??
  process.env.LETHE_CONVEX_WORKER_N ??
  (quick ? '2000' : '7000')
)
  .split(',')
  .map(Number);
const REBUILD = process.env.LETHE_CONVEX_WORKER_REBUILD !== '0';
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

const PHASES = [
  'journal',
  'started',
  'base',
  'data',
  'factor-read',
  'compute',
  'sign',
  'stage',
  'factor-write',
  'store',
  'publish',
] as const;

interface JobRun {
  readonly label: string;
  readonly ms: number;
  /** Node CPU of this process during the job (user + system), ms: less distorted by load. */
  readonly cpuMs: number;
  /** fsync calls during the job. */
  readonly fsyncs: number;
  readonly method: string;
  readonly how: string;
  readonly spans: Readonly<Record<string, number>>;
  readonly load: string;
}

/**
 * fsync(2) calls of this process (FileHandle.sync: every durable write of the stores and the
 * journal goes through it), counted per job: a measure the load does not distort.
 */
let fsyncs = 0;
const countFsyncs = async (): Promise<void> => {
  const fh = await open(__filename, 'r');
  const proto = Object.getPrototypeOf(fh) as { sync: () => Promise<void> };
  await fh.close();
  const sync = proto.sync;
  proto.sync = function (this: unknown) {
    fsyncs++;
    return sync.call(this);
  };
};

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One size: a training job, JOBS kept-factor deletions, one rebuilt, one exact retrain. */
async function oneSize(
  engine: Awaited<ReturnType<typeof createTfjsEngine>>,
  extractor: Parameters<typeof featurize>[0],
  del: Dataset,
  n: number,
): Promise<{
  runs: JobRun[];
  keptMs: number[];
  kept: JobRun[];
  retrain: JobRun;
  retrainMs: number;
  versions: number;
}> {
  log(`n = ${n}: featurizing…`);
  const data: Dataset = featurize(extractor, trainingSet(del, n, `convex/${n}`));
  const f: WorkerFixture = await aWorkerFixture(engine);
  const copies: WorkerFixture[] = [];
  const runs: JobRun[] = [];
  try {
    const datasets = [
      { datasetId: 'ds', source: writeNdjsonSource(f.dataRoot, 'ds.ndjson', data) },
    ];
    // One worker process: every job, on the chain's stores or on a copy, shares f's cache of
    // parsed rows, except the row that measures the job without it.
    const handle = async (w: WorkerFixture, label: string, msg: Buffer, cache = true) => {
      const logger = recording();
      const l0 = loadAvg();
      const c = cpuNow();
      const s0 = fsyncs;
      const t = now();
      const { dataCache: _own, ...deps } = w.deps;
      const shared = f.deps.dataCache;
      const out = await new JobRunner({
        ...deps,
        logger,
        ...(cache && shared ? { dataCache: shared } : {}),
      }).handle(msg);
      const ms = now() - t;
      const cpuMs = cpuNow() - c;
      const syncs = fsyncs - s0;
      if (out.kind === 'skipped') throw new Error(`job skipped: ${out.reason}`);
      const r = out.result;
      if (r.kind !== 'trained' && r.kind !== 'succeeded')
        throw new Error(`job ${r.kind}: ${JSON.stringify(r)}`);
      const how = logger.lines.find((l) => l.includes('kept convex factor')) ?? '';
      const run: JobRun = {
        label,
        ms,
        cpuMs,
        fsyncs: syncs,
        method: r.kind === 'succeeded' ? r.method : 'trained',
        how: how.replace(/^job \S+: kept convex factor of version \d+ /, '').replace(/: .*/, ''),
        spans: out.spans,
        load: `${l0} → ${loadAvg()}`,
      };
      runs.push(run);
      return run;
    };
    const forget = (i: number) => [
      { datasetId: 'ds', recordId: data.ids[(i * 997) % n] as string },
    ];
    const unlearnJob = (
      w: WorkerFixture,
      label: string,
      i: number,
      baseVersion: number,
      policy?: Record<string, unknown>,
      cache = true,
    ) =>
      handle(
        w,
        label,
        jobMessage(
          anUnlearningJob({
            modelId: 'head',
            baseVersion,
            records: forget(i),
            datasets,
            ...(policy ? { policy: policy } : {}),
          }),
        ),
        cache,
      );
    log(`n = ${n}: training job (p = ${(WIDTH + 1) * 10})…`);
    await handle(
      f,
      'training job (Newton-CG from 0, + the kept factor of D at w*)',
      jobMessage(aTrainingJob({ modelId: 'head', datasets, profile: profile() })),
    );
    const keptMs: number[] = [];
    const kept: JobRun[] = [];
    for (let j = 0; j < JOBS; j++) {
      log(`n = ${n}: deletion job ${j + 1} (kept factor)…`);
      const out = await unlearnJob(f, `deletion ${j + 1}: convex-newton, kept factor`, j, 1 + j);
      keptMs.push(out.ms);
      kept.push(out);
    }
    // The same job without the cache of parsed rows (D_r parsed from the NDJSON source, as every
    // job did before the cache), on a copy of the stores.
    const uncachedStore = await aWorkerFixture(engine, f);
    copies.push(uncachedStore);
    log(`n = ${n}: deletion job, kept factor, without the data cache…`);
    await unlearnJob(
      uncachedStore,
      'deletion: convex-newton, kept factor, D_r parsed from the source (no cache)',
      100,
      1 + JOBS,
      undefined,
      false,
    );
    if (REBUILD) {
      const rebuildStore = await aWorkerFixture(engine, f);
      copies.push(rebuildStore);
      rmSync(`${rebuildStore.root}/private/chains/head/${1 + JOBS}.factor`);
      log(`n = ${n}: deletion job, factor missing (rebuilt)…`);
      await unlearnJob(
        rebuildStore,
        'deletion: convex-newton, factor missing → rebuilt',
        100,
        1 + JOBS,
      );
    }
    // The exact fallback through the same path: a budget that cannot take one release → retrain
    // (cold, from w = 0, no factor), on a copy of the stores so the chain above is untouched.
    const retrainStore = await aWorkerFixture(engine, f);
    copies.push(retrainStore);
    log(`n = ${n}: deletion job, exact fallback (retrain from w = 0)…`);
    const retrain = await unlearnJob(
      retrainStore,
      'deletion: retrain (cold, Newton-CG from w = 0, same τ, same σ)',
      100,
      1 + JOBS,
      {
        ...profile().policy,
        convex: { ...profile().policy.convex, keptFactor: false },
        cumulativeBudget: { epsilon: 0.5, delta: 1e-5 },
      },
    );
    const versions = (await f.modelStore.listVersions(ModelId('head'))).length;
    return { runs, keptMs, kept, retrain, retrainMs: retrain.ms, versions };
  } finally {
    for (const c of copies) c.cleanup();
    f.cleanup();
  }
}

const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

async function main(): Promise<void> {
  await countFsyncs();
  const engine = await createTfjsEngine();
  printHeader(
    engine,
    'convex-newton through the worker job path (issue 11)',
    'npm run bench:unlearning:convex-worker',
  );
  console.log(
    `- uptime at start: \`${os.uptime().toFixed(0)} s\`, load average ${loadAvg()}; sizes ${SIZES.join(', ')}; ${JOBS} kept-factor jobs per size`,
  );
  const { train } = mnistSplit();
  const { publicSet: pub, deletable: del } = publicSplit(train);
  log(`extractor 784-${WIDTH}-10 on 2,000 public digits…`);
  const { extractor } = await trainFrozenExtractor(engine, pub, {
    width: WIDTH,
    epochs: quick ? 5 : 15,
    description: 'bench extractor',
  });
  const summary: (string | number)[][] = [];
  for (const n of SIZES) {
    const { runs, keptMs, kept, retrain, retrainMs, versions } = await oneSize(
      engine,
      extractor,
      del,
      n,
    );
    const title = `n = ${n}, d = ${WIDTH}, p = ${(WIDTH + 1) * 10}, λ = ${L2}, τ = ${TAU}, ε = 1, δ = 1e-5`;
    printTable(
      `One job of 1 record through the worker (${title})`,
      [
        'job',
        'kept factor',
        'wall s',
        'Node CPU s',
        'fsyncs',
        'method',
        'load avg 1/5/15 (start → end)',
      ],
      runs.map((r) => [r.label, r.how || '—', sec(r.ms), sec(r.cpuMs), r.fsyncs, r.method, r.load]),
      `Versions stored: ${versions}.`,
    );
    printTable(
      `Where each job's wall time goes, ms per phase of the job runner (${title})`,
      ['job', ...PHASES, 'outside phases'],
      runs.map((r) => {
        const inPhases = PHASES.reduce((a, p) => a + (r.spans[p] ?? 0), 0);
        return [
          r.label,
          ...PHASES.map((p) => (r.spans[p] === undefined ? '—' : Math.round(r.spans[p]))),
          Math.round(r.ms - inPhases),
        ];
      }),
    );
    const med = median(keptMs);
    summary.push([
      n.toLocaleString('en-US'),
      sec(retrainMs),
      sec(keptMs[0] as number),
      sec(med),
      `**${ratio(retrainMs / med)}**`,
      ratio(retrainMs / (keptMs[0] as number)),
      `${sec(retrain.cpuMs)} / ${sec(median(kept.map((r) => r.cpuMs)))}`,
      ratio(retrain.cpuMs / median(kept.map((r) => r.cpuMs))),
      median(kept.map((r) => r.fsyncs)),
      `${Math.round(median(kept.map((r) => r.spans.compute ?? 0)))} / ${Math.round(
        median(kept.map((r) => r.ms - (r.spans.compute ?? 0))),
      )}`,
      kept.map((r) => sec(r.ms)).join(' '),
    ]);
  }
  printTable(
    'Per request through the worker: retrain vs kept factor, as n grows',
    [
      'n',
      'retrain job s',
      'first kept job s',
      'median kept job s',
      'speed-up (median)',
      'speed-up (first)',
      'Node CPU s: retrain / median kept',
      'speed-up, Node CPU',
      'fsyncs per kept job (median)',
      'kept: compute / rest ms (medians)',
      'kept jobs wall s (each)',
    ],
    summary,
  );
}

run(main);
