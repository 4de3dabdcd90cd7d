/**
 * Statement trace for the intake bench (docs/benchmarks.md, "Governance intake", where the
 * intake waits). Loaded before the bench with `-r ./bench/intake/statement-trace.ts`, it wraps
 * node-postgres' `Client.prototype.query` on the main thread and records, for every promise query,
 * when it was issued, when its result reached the caller, the server process id and the first
 * characters of its text; it also samples the main thread's event-loop delay. At exit it writes
 * them to `LETHE_TRACE_OUT` (JSON). `bench/intake/statement-trace-report.ts` summarises a trace:
 * per statement kind its count and wall time, and each intake round's timeline (statement time
 * against the service thread's time between statements and between rounds).
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { Client } from 'pg';

/** [issued ms, done ms, server pid, text] */
export type TracedQuery = [number, number, number | undefined, string];

export interface StatementTrace {
  queries: TracedQuery[];
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number };
}

if (isMainThread && process.env.LETHE_TRACE_OUT) {
  const out = process.env.LETHE_TRACE_OUT;
  const queries: TracedQuery[] = [];
  type Query = (this: Client, ...args: unknown[]) => unknown;
  const proto = Client.prototype as unknown as { query: Query; processID?: number };
  const original = proto.query;
  proto.query = function (this: Client, ...args: unknown[]): unknown {
    const [config] = args;
    const text =
      typeof config === 'string'
        ? config
        : typeof (config as { text?: unknown } | null)?.text === 'string'
          ? (config as { text: string }).text
          : '?';
    const issued = performance.now();
    const result = original.apply(this, args);
    const pid = (this as unknown as { processID?: number }).processID;
    const label = text.replace(/\s+/g, ' ').trim().slice(0, 60);
    if (result instanceof Promise) {
      result.then(
        () => queries.push([issued, performance.now(), pid, label]),
        () => queries.push([issued, performance.now(), pid, `ERROR ${label}`]),
      );
    }
    return result;
  };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('exit', () => {
    const trace: StatementTrace = {
      queries,
      eventLoopDelayMs: {
        p50: delay.percentile(50) / 1e6,
        p99: delay.percentile(99) / 1e6,
        max: delay.max / 1e6,
        mean: delay.mean / 1e6,
      },
    };
    writeFileSync(out, JSON.stringify(trace));
  });
}
