/**
 * The loop, timed: from a deletion event to its certificate, by stage, through the real doors.
 * The governance service and one unlearning worker run as processes (as deployed, the way
 * test/unlearning-loop.e2e-spec.ts starts them) on a local PostgreSQL and Kafka broker; a dataset
 * with a file source is registered, a model trained on it (version 1), then N subjects are deleted
 * one after the other over HTTP, each waiting for `certified` before the next (no queueing: each
 * figure is one request's own latency).
 *
 *   npm run bench:loop
 *   LOOP_N=5 LOOP_ROWS=200 LOOP_METHODS=newton npm run bench:loop     # a quick run
 *
 * LOOP_N        requests per configuration (default 50)
 * LOOP_ROWS     dataset sizes, comma-separated (default 400,800): how the cost grows with the data
 * LOOP_METHODS  newton (certified Newton step, LiSSA) and/or retrain (exact retraining, the
 *               baseline), comma-separated (default newton,retrain)
 *
 * Stages, each from t0 = the moment the client sends the event:
 *   accepted   the HTTP 202 (the request is durably stored)
 *   scheduled  the request's `scheduled` history entry (its job is created; includes the
 *              coalescing window, set to 200 ms here)
 *   started    the worker's `started` result for the job (the job was taken off Kafka)
 *   unlearned  the worker's `succeeded` result: the new version stored and the certificate signed
 *   certified  the request's `certified` history entry (the governance verified the JWS, appended
 *              it to the audit log, erased the records)
 *   observed   the client's poll (every 50 ms) sees `certified`
 * Worker and governance timestamps come from the same machine's clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { newNamespace } from '@lethe/local-infra';
import { Topics } from '@lethe/shared';
import { logisticData } from '@lethe/unlearning';
import { writeNdjsonSource } from '@lethe/unlearning/testing/jobs/job-factories';
import {
  deletionEvent,
  LOOP_KEYS as KEYS,
  pollUntil,
  startLoop,
} from '../../test/support/unlearning-loop';
import { startBenchInfra } from '../support/infra';

const STAGES = ['accepted', 'scheduled', 'started', 'unlearned', 'certified', 'observed'] as const;
type Stage = (typeof STAGES)[number];
type Method = 'newton' | 'retrain';

const SUBJECT_RECORDS = 4;

const profileFor = (method: Method) => ({
  architecture: { kind: 'logistic-regression' },
  recipe: { C: 4, l2: 0.05, learningRate: 0.05, epochs: 5, batchSize: 50, seed: 7 },
  policy: {
    methods: method === 'newton' ? ['newton', 'retrain'] : ['retrain'],
    target: { epsilon: 1, delta: 1e-6 },
    newton: { damping: 0.05, lissa: { chains: 2, depth: 200, scale: 5, batchSize: 40 } },
    certification: { M: 10, lambdaMin: 0, G: 1, solverTolerance: 0.5 },
  },
});

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number;
};

/**
 * The governance's stages between the worker's `succeeded` and `certified` (its log line per
 * job): queued (worker stamp → the results consumer takes it: Kafka and the results ahead of it),
 * verify (JWS), append (audit log + checkpoint), record (job result: lineage, versions, requests
 * certified), erase (the subjects' records).
 */
const GOV_STAGES = ['queued', 'verify', 'append', 'record', 'erase'] as const;
type GovStage = (typeof GOV_STAGES)[number];

interface Row {
  readonly rows: number;
  readonly method: Method;
  readonly n: number;
  readonly p50: Record<Stage, number>;
  readonly p99: Record<Stage, number>;
  readonly gov: {
    readonly n: number;
    readonly p50: Record<GovStage, number>;
    readonly p99: Record<GovStage, number>;
  };
  readonly methodsUsed: Record<string, number>;
  readonly load: readonly [number, number];
}

async function runOne(
  infra: Awaited<ReturnType<typeof startBenchInfra>>,
  rows: number,
  method: Method,
  n: number,
): Promise<Row> {
  const root = mkdtempSync(path.join(tmpdir(), 'lethe-bench-loop-'));
  const namespace = newNamespace();
  const brokers = infra.kafka!.brokers;
  const databaseUrl = await infra.freshDatabase(`loop_${method}_${rows}`);
  // Governance at `info`: its `succeeded` lines carry the stages of succeeded → certified.
  const loop = await startLoop({ databaseUrl, brokers, namespace, root, logLevel: 'info' });
  const kafka = new Kafka({ clientId: `${namespace}bench`, brokers, logLevel: logLevel.NOTHING });
  const reader = kafka.consumer({ groupId: `${namespace}bench-reader`, maxWaitTimeInMs: 50 });
  /** jobId → kind → the worker's `at` (ms since the epoch). */
  const results = new Map<string, Map<string, { at: number; method?: string }>>();
  try {
    const subjects = Math.max(n, Math.ceil(rows / SUBJECT_RECORDS));
    // At least one subject more than the requests: the last deletion must leave data to train on.
    if ((n + 1) * SUBJECT_RECORDS > rows) {
      throw new Error(`LOOP_N=${n} needs at least ${(n + 1) * SUBJECT_RECORDS} rows, not ${rows}`);
    }
    const data = logisticData({ n: rows, dim: 4, seed: `loop-${rows}`, maxNorm: 1.5, signal: 5 });
    const source = writeNdjsonSource(loop.dataRoot, 'bench/train.ndjson', data);
    const must = async (p: ReturnType<typeof loop.call>, status: number) => {
      const r = await p;
      if (r.status !== status) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
      return r;
    };
    await must(
      loop.call('POST', '/v1/datasets', KEYS.admin, { datasetId: 'bench', name: 'Bench', source }),
      201,
    );
    await must(
      loop.call(
        'POST',
        '/v1/datasets/bench/records',
        KEYS.admin,
        data.ids.map((recordId, i) => ({
          recordId,
          subjectId: `s-${i % subjects}`,
          features: Array.from(data.features.subarray(i * data.dim, (i + 1) * data.dim)),
          label: data.labels[i]!,
        })),
      ),
      200,
    );

    await reader.connect();
    await reader.subscribe({
      topic: `${namespace}${Topics.unlearningResults}`,
      fromBeginning: true,
    });
    await reader.run({
      eachMessage: async ({ message }) => {
        const m = JSON.parse(message.value?.toString('utf8') ?? '{}') as {
          data?: { jobId: string; kind: string; at: string; method?: string };
        };
        if (!m.data) return;
        const byKind = results.get(m.data.jobId) ?? new Map();
        if (!byKind.has(m.data.kind)) {
          byKind.set(m.data.kind, { at: Date.parse(m.data.at), method: m.data.method });
        }
        results.set(m.data.jobId, byKind);
      },
    });

    await must(
      loop.call('POST', '/v1/models', KEYS.admin, {
        modelId: 'bench-lr',
        name: 'Bench LR',
        training: { datasetIds: ['bench'] },
        profile: profileFor(method),
      }),
      201,
    );
    await pollUntil(
      'version 1',
      async () => (await loop.call('GET', '/v1/models/bench-lr', KEYS.admin)).body,
      (m) => m.currentVersion === 1,
      300_000,
      100,
    );

    const samples: Record<Stage, number>[] = [];
    const methodsUsed: Record<string, number> = {};
    const load0 = loadavg()[0] ?? Number.NaN;
    for (let i = 0; i < n; i++) {
      const t0 = Date.now();
      const posted = await must(
        loop.call(
          'POST',
          '/v1/deletion-requests',
          KEYS.publisher,
          deletionEvent(`bench-${i}`, `s-${i}`, ['bench']),
        ),
        202,
      );
      const accepted = Date.now();
      const requestId = posted.body.requestId as string;
      const req = await pollUntil(
        `request ${i} certified`,
        async () =>
          (await loop.call('GET', `/v1/deletion-requests/${requestId}`, KEYS.compliance)).body as {
            status: string;
            recordsErased: boolean;
            models: { jobId: string | null }[];
            history: { status: string; at: string }[];
          },
        (r) =>
          (r.status === 'certified' && r.recordsErased) ||
          ['needs-retrain', 'failed', 'rejected', 'no-records'].includes(r.status),
        300_000,
        50,
      );
      const observed = Date.now();
      if (req.status !== 'certified') throw new Error(`request ${i} ended ${req.status}`);
      const at = (status: string) =>
        Date.parse(req.history.find((h) => h.status === status)?.at ?? 'x');
      const jobId = req.models[0]?.jobId ?? '';
      const worker = await pollUntil(
        `results of ${jobId}`,
        () => Promise.resolve(results.get(jobId)),
        (r) => r?.has('started') === true && r.has('succeeded'),
        30_000,
        20,
      );
      const used = worker!.get('succeeded')?.method ?? '?';
      methodsUsed[used] = (methodsUsed[used] ?? 0) + 1;
      samples.push({
        accepted: accepted - t0,
        scheduled: at('scheduled') - t0,
        started: (worker!.get('started')?.at ?? Number.NaN) - t0,
        unlearned: (worker!.get('succeeded')?.at ?? Number.NaN) - t0,
        certified: at('certified') - t0,
        observed: observed - t0,
      });
      const last = samples[samples.length - 1]!;
      process.stderr.write(
        `  [${method} rows=${rows}] ${i + 1}/${n} (${used}): ` +
          `${STAGES.map((st) => `${st} ${last[st]}`).join(', ')} ms\n`,
      );
    }
    const stat = (q: number) =>
      Object.fromEntries(
        STAGES.map((s) => [
          s,
          quantile(
            samples.map((x) => x[s]),
            q,
          ),
        ]),
      ) as Record<Stage, number>;
    // The governance's own account of succeeded → certified, per job (job-result.processor.ts).
    const governanceStages = [
      ...loop.governance
        .output()
        .matchAll(
          /succeeded \([^)]*\).*?stages ms: queued=(\d+) verify=(\d+) append=(\d+) record=(\d+) erase=(\d+)/g,
        ),
    ].map(
      (m) =>
        Object.fromEntries(GOV_STAGES.map((st, i) => [st, Number(m[i + 1])])) as Record<
          GovStage,
          number
        >,
    );
    const govStat = (q: number) =>
      Object.fromEntries(
        GOV_STAGES.map((st) => [
          st,
          quantile(
            governanceStages.map((x) => x[st]),
            q,
          ),
        ]),
      ) as Record<GovStage, number>;
    return {
      rows,
      method,
      n,
      p50: stat(0.5),
      p99: stat(0.99),
      gov: { n: governanceStages.length, p50: govStat(0.5), p99: govStat(0.99) },
      methodsUsed,
      load: [load0, loadavg()[0] ?? Number.NaN],
    };
  } catch (e) {
    process.stderr.write(
      `governance output:\n${loop.governance.output().slice(-4000)}\nworker output:\n${loop.worker
        .output()
        .slice(-4000)}\n`,
    );
    throw e;
  } finally {
    await reader.disconnect().catch(() => undefined);
    await loop.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const n = Number(process.env.LOOP_N ?? 50);
  const sizes = (process.env.LOOP_ROWS ?? '400,800').split(',').map(Number);
  const methods = (process.env.LOOP_METHODS ?? 'newton,retrain')
    .split(',')
    .filter((m): m is Method => m === 'newton' || m === 'retrain');
  const started = performance.now();
  const f = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : '–');
  const govLines: string[] = [];
  const govLine = (r: Row) =>
    `| ${r.rows} | ${r.method} | ${r.gov.n} | ${GOV_STAGES.map((s) => `${f(r.gov.p50[s])} / ${f(r.gov.p99[s])}`).join(' | ')} |`;
  const line = (r: Row) =>
    `| ${r.rows} | ${r.method} | ${r.n} | ${STAGES.map((s) => `${f(r.p50[s])} / ${f(r.p99[s])}`).join(' | ')} | ` +
    `${Object.entries(r.methodsUsed)
      .map(([m, c]) => `${m} ×${c}`)
      .join(', ')} | ${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)} |`;
  // Each row is printed as soon as its configuration is done.
  process.stdout.write(
    [
      `Event to certificate, ms from the client's send (p50 / p99 over N sequential requests), ` +
        `${cpus().length} cores, node ${process.version}, ${new Date().toISOString()}:`,
      '',
      `| rows | method | N | ${STAGES.join(' | ')} | methods used | load avg (1 min, start→end) |`,
      `| ---: | --- | ---: | ${STAGES.map(() => '---:').join(' | ')} | --- | --- |`,
      '',
    ].join('\n'),
  );
  const infra = await startBenchInfra({ kafka: true });
  try {
    for (const size of sizes) {
      for (const method of methods) {
        const r = await runOne(infra, size, method, n);
        process.stdout.write(`${line(r)}\n`);
        govLines.push(govLine(r));
      }
    }
  } finally {
    await infra.stop();
  }
  process.stdout.write(
    [
      '',
      "Governance between the worker's `succeeded` and `certified`, ms per job (p50 / p99):",
      '',
      `| rows | method | jobs | ${GOV_STAGES.join(' | ')} |`,
      `| ---: | --- | ---: | ${GOV_STAGES.map(() => '---:').join(' | ')} |`,
      ...govLines,
      '',
    ].join('\n'),
  );
  process.stdout.write(`\n(total ${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
