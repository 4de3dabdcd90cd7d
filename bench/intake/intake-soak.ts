/**
 * Intake soak: the stall hunt of docs/benchmarks.md ("19,144 of 20,000 visible at concurrency 2").
 * Runs the intake bench R times back to back (N events each, fresh database and topics per run,
 * one PostgreSQL with fsync on and one broker for all runs) while another process keeps one core
 * busy, and records every run: its figures, or, on a timeout, the bench's diagnosis (events stored,
 * per partition end / committed offsets) plus what the intake consumer's kafkajs instrumentation
 * saw (group joins, rebalances, crashes, request timeouts, each partition's last batch and the
 * last fetch). Keeps going after a stalled run; prints a summary at the end.
 *
 *   KAFKAJS_NO_PARTITIONER_WARNING=1 npx ts-node -r tsconfig-paths/register --transpile-only \
 *     bench/intake/intake-soak.ts [--runs 12] [--n 20000] [--concurrency 2] [--stall-s 60] \
 *     [--timeout-s 900] [--load 1] [--partitions 4]
 *
 * A run counts as stalled when nothing new became visible for `--stall-s` seconds while events
 * were still missing (the machine here is shared, so a slow run is not a stall).
 *
 * `--load K` starts K busy-looping Node processes (0 for none) for the whole soak.
 */
import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import type { Consumer } from 'kafkajs';
import { silentLogger, startLocalKafka, startLocalPostgres } from '@lethe/local-infra';
import { DeletionRequestsKafkaConsumer } from '@lethe/governance';
import { parseArgs, postmasterPid, runOnce, type RunHooks } from './intake-bench';

interface SoakArgs {
  runs: number;
  load: number;
}

const soakArgs = (argv: string[]): SoakArgs => {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return { runs: Number(get('runs') ?? 12), load: Number(get('load') ?? 1) };
};

/** What the intake consumer's kafkajs instrumentation saw during one run. */
class ConsumerTrace {
  private readonly t0 = Date.now();
  private readonly lines: string[] = [];
  private readonly lastBatch = new Map<number, string>();
  private lastFetchAt = 0;
  private fetches = 0;
  private readonly since = () => `${((Date.now() - this.t0) / 1000).toFixed(1)}s`;

  attach(app: INestApplicationContext): void {
    // The bench reaches into the service's consumer only to listen to its instrumentation events.
    // (Since the SupervisedKafkaConsumer, the consumer of the current run sits in its supervisor.)
    const service: unknown = app.get(DeletionRequestsKafkaConsumer);
    const { consumer } = (service as { supervisor: { consumer: Consumer | null } }).supervisor;
    if (!consumer) throw new Error('the intake consumer is not running');
    const e = consumer.events;
    consumer.on(e.GROUP_JOIN, (ev) =>
      this.note(`join ${JSON.stringify(ev.payload.memberAssignment)} in ${ev.payload.duration} ms`),
    );
    consumer.on(e.REBALANCING, () => this.note('rebalancing'));
    consumer.on(e.CRASH, (ev) =>
      this.note(`CRASH ${ev.payload.error.message} (restart: ${ev.payload.restart})`),
    );
    consumer.on(e.STOP, () => this.note('stop'));
    consumer.on(e.REQUEST_TIMEOUT, (ev) =>
      this.note(`request timeout ${ev.payload.apiName} ${ev.payload.pendingDuration} ms`),
    );
    consumer.on(e.FETCH, () => {
      this.fetches += 1;
      this.lastFetchAt = Date.now();
    });
    consumer.on(e.END_BATCH_PROCESS, (ev) => {
      const p = ev.payload;
      this.lastBatch.set(
        p.partition,
        `${p.firstOffset}-${p.lastOffset} (${p.batchSize} msgs, lag ${p.offsetLagLow}) at ${this.since()}`,
      );
    });
  }

  private note(line: string): void {
    this.lines.push(`${this.since()} ${line}`);
    if (this.lines.length > 50) this.lines.splice(0, this.lines.length - 50);
  }

  diagnose(): string {
    const batches = [...this.lastBatch.entries()]
      .sort(([a], [b]) => a - b)
      .map(([p, s]) => `p${p}: ${s}`)
      .join('; ');
    const fetchAgo = this.lastFetchAt
      ? `${((Date.now() - this.lastFetchAt) / 1000).toFixed(1)}s ago`
      : 'never';
    return (
      `[consumer: ${this.fetches} fetches, last ${fetchAgo}; last batch per partition: ${batches}; ` +
      `events: ${this.lines.join(' | ')}]`
    );
  }
}

function startLoad(k: number): ChildProcess[] {
  return Array.from({ length: k }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (!argv.includes('--n')) args.sizes = [20_000];
  if (!argv.includes('--concurrency')) args.concurrency = 2;
  if (!argv.includes('--timeout-s')) args.timeoutS = 900;
  if (!argv.includes('--stall-s')) args.stallS = 60;
  const { runs, load } = soakArgs(argv);
  const n = args.sizes[0] ?? 20_000;
  const pg = await startLocalPostgres({ logger: silentLogger, fast: !args.fsync });
  const kafka = await startLocalKafka({ logger: silentLogger });
  const loaders = startLoad(load);
  process.on('exit', () => loaders.forEach((l) => l.kill('SIGKILL')));
  const outcomes: { ok: boolean; line: string }[] = [];
  const startedAt = Date.now();
  try {
    process.stdout.write(
      `intake soak: ${runs} runs of N=${n}, concurrency=${args.concurrency}, partitions=${args.partitions}, ` +
        `fsync=${args.fsync ? 'on' : 'off'}, stall after ${args.stallS} s without progress, ${load} CPU-loading process(es) ` +
        `(${pg.version.split(' on ')[0]}, Kafka ${kafka.version})\n`,
    );
    const pids = { postgres: await postmasterPid(pg.url), kafka: kafka.pid };
    for (let run = 1; run <= runs; run++) {
      const trace = new ConsumerTrace();
      const hooks: RunHooks = {
        attach: (app) => trace.attach(app),
        diagnose: () => trace.diagnose(),
      };
      const at = new Date().toISOString().slice(11, 19);
      try {
        const r = await runOnce(n, args, pg.url, kafka.brokers, pids, hooks);
        const line =
          `run ${run} ${at}: ok, ${r.seconds.toFixed(2)} s, ${Math.round(r.eventsPerSecond)} events/s, ` +
          `p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms, load ${r.cpu.loadAvg.toFixed(1)}`;
        outcomes.push({ ok: true, line });
        process.stdout.write(`${line}\n`);
      } catch (e) {
        const line = `run ${run} ${at}: FAILED ${(e as Error).message} (load ${loadavg()[0]?.toFixed(1)})`;
        outcomes.push({ ok: false, line });
        process.stdout.write(`${line}\n`);
      }
    }
  } finally {
    for (const l of loaders) l.kill('SIGKILL');
    await kafka.stop();
    await pg.stop();
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  process.stdout.write(
    `\nsoak done in ${((Date.now() - startedAt) / 60_000).toFixed(1)} min: ${outcomes.length} runs, ` +
      `${outcomes.length - failed} complete, ${failed} stalled or failed\n`,
  );
  if (failed > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
