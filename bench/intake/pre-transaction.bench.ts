/**
 * The intake's work before its transaction (ids, subject HMAC, decide, content digest, metadata;
 * docs/benchmarks.md, "The service thread before the transaction"), the previous derivation
 * (`testing/request-deletion.reference.ts`, as at ebfa946) against this tree's `prepareRequests`,
 * side by side in one process, rounds alternated (reference, this tree, reference, …) so that a
 * change of the machine's load falls on both. No Kafka, no PostgreSQL.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/intake/pre-transaction.bench.ts \
 *     [--n 5000,20000,50000] [--round 5000] [--repeat 5] [--shape bench|mixed] [--only this|reference]
 *
 * Per N: N events split into rounds of `--round` (one command each, as the group commit makes),
 * the whole N run `--repeat` times per side. Reported per event: service-thread CPU
 * (process.cpuUsage: user + system, so load moves it little), the garbage collector's time in it
 * and the bytes allocated (v8.GCProfiler: each collection's cost, and the heap it freed, plus the
 * growth of the used heap over the run).
 * Both sides' outputs are compared once per N (request-deletion.prepare.spec.ts does it over
 * seeded shapes).
 */
import { loadavg } from 'node:os';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { HmacSubjectPseudonymizer } from '@lethe/governance/infrastructure/crypto/hmac-subject-pseudonymizer';
import { RequestDeletionCommand } from '@lethe/governance/application/commands/request-deletion/request-deletion.command';
import { prepareRequests } from '@lethe/governance/application/commands/request-deletion/request-deletion.prepare';
import {
  ReferenceHmacSubjectPseudonymizer,
  referencePrepare,
} from '@lethe/governance/testing/request-deletion.reference';
import {
  KNOWN_DATASETS,
  benchIntakeItems,
  seededIntakeItems,
} from '@lethe/governance/testing/intake-item.factory';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const sizes = arg('n', '5000,20000,50000').split(',').map(Number);
const round = Number(arg('round', '5000'));
const repeat = Number(arg('repeat', '5'));
const shape = arg('shape', 'bench');
/** `--only this|reference`: run one side (for a CPU profile of it). */
const only = arg('only', '');

const KEY = 'bench-subject-hmac-key-of-32-bytes!!';
const fast = new HmacSubjectPseudonymizer(KEY);
const reference = new ReferenceHmacSubjectPseudonymizer(KEY);
const now = () => new Date();

type Side = 'reference' | 'this tree';
const run = (side: Side, commands: readonly RequestDeletionCommand[]): number => {
  let kept = 0;
  for (const c of commands) {
    const p =
      side === 'reference'
        ? referencePrepare(c, KNOWN_DATASETS, (s) => reference.refOf(s), now)
        : prepareRequests(c, KNOWN_DATASETS, fast, now);
    kept += p.toAppend.size;
  }
  return kept;
};

const main = async (): Promise<void> => {
  const load = () => loadavg()[0]?.toFixed(1);
  console.log(
    `pre-transaction bench: shape=${shape} round=${round} repeat=${repeat} node ${process.version}, load ${load()}`,
  );
  console.log(
    '| N | side | CPU µs / event | of which GC µs / event | KB allocated / event | streams | load |\n|--:|---|--:|--:|--:|--:|--:|',
  );
  for (const n of sizes) {
    const items = shape === 'mixed' ? seededIntakeItems(n, n) : benchIntakeItems(n);
    const commands: RequestDeletionCommand[] = [];
    for (let i = 0; i < n; i += round) {
      commands.push(new RequestDeletionCommand(items.slice(i, i + round), 'kafka', 'kafka', ''));
    }
    // Warm both (JIT), and check they agree on what is stored.
    const a = referencePrepare(
      commands[0]!,
      KNOWN_DATASETS,
      (s) => reference.refOf(s),
      () => new Date(0),
    );
    const b = prepareRequests(commands[0]!, KNOWN_DATASETS, fast, () => new Date(0));
    if (JSON.stringify([...a.toAppend.values()]) !== JSON.stringify([...b.toAppend.values()])) {
      throw new Error('the two sides differ');
    }
    run('reference', commands);
    run('this tree', commands);
    const totals: Record<Side, { cpu: number; gc: number; bytes: number; kept: number }> = {
      reference: { cpu: 0, gc: 0, bytes: 0, kept: 0 },
      'this tree': { cpu: 0, gc: 0, bytes: 0, kept: 0 },
    };
    for (let r = 0; r < repeat; r++) {
      for (const side of ['reference', 'this tree'] as const) {
        if (only !== '' && !side.startsWith(only)) continue;
        const profiler = new GCProfiler();
        const used0 = getHeapStatistics().used_heap_size;
        profiler.start();
        const c0 = process.cpuUsage();
        totals[side].kept += run(side, commands);
        const c = process.cpuUsage(c0);
        const { statistics } = profiler.stop();
        let freed = getHeapStatistics().used_heap_size - used0;
        for (const g of statistics) {
          totals[side].gc += g.cost;
          freed += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
        }
        totals[side].cpu += c.user + c.system;
        totals[side].bytes += freed;
      }
    }
    for (const side of ['reference', 'this tree'] as const) {
      const t = totals[side];
      const per = (x: number) => (x / (n * repeat)).toFixed(1);
      console.log(
        `| ${n} | ${side} | ${per(t.cpu)} | ${per(t.gc)} | ${(t.bytes / 1024 / (n * repeat)).toFixed(2)} | ${t.kept / repeat} | ${load()} |`,
      );
    }
  }
};

void main();
