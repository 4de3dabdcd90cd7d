/**
 * Summarises a trace written by `bench/intake/statement-trace.ts`:
 *
 *   npx ts-node --transpile-only bench/intake/statement-trace-report.ts trace.json [events]
 *
 * With `events` (how many the traced runs stored, e.g. 40000 for `--n 20000 --concurrency 1,4`),
 * also the wall time per event of each statement kind and of the rounds' statements.
 * Per statement kind: count and wall time (issued → result back in the caller). Per intake round
 * (START TRANSACTION … COMMIT holding the `streams` INSERT, alone or as the CTE of intake's one
 * statement, `WITH t AS MATERIALIZED …`): the time in statements, the time
 * inside the transaction between them (the service thread building the next parameter, or
 * waiting for its turn), and the time since the previous round's COMMIT (validation, decide,
 * offset commit, the next fetch). Statements that overlap count once.
 */
import { readFileSync } from 'node:fs';
import type { StatementTrace, TracedQuery } from './statement-trace';

const file = process.argv[2];
if (!file) throw new Error('usage: statement-trace-report.ts <trace.json> [events]');
const events = Number(process.argv[3] ?? 0);
const perEvent = (ms: number): string =>
  events > 0 ? ` ${((1000 * ms) / events).toFixed(1).padStart(7)} µs/event` : '';
const trace = JSON.parse(readFileSync(file, 'utf8')) as StatementTrace;
const queries = [...trace.queries].sort((a, b) => a[0] - b[0]);

const kinds = new Map<string, { n: number; ms: number }>();
for (const [issued, done, , text] of queries) {
  const k = text.slice(0, 45);
  const s = kinds.get(k) ?? { n: 0, ms: 0 };
  s.n += 1;
  s.ms += done - issued;
  kinds.set(k, s);
}
console.log(`event-loop delay ms: ${JSON.stringify(trace.eventLoopDelayMs)}`);
console.log('statements (count, wall ms):');
for (const [k, s] of [...kinds].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
  console.log(`${String(s.n).padStart(7)} ${s.ms.toFixed(0).padStart(8)}${perEvent(s.ms)}  ${k}`);
}

/** Union length of intervals (ms). */
const covered = (spans: readonly TracedQuery[]): number => {
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
};

/** The statement that makes a transaction an intake round (the trace keeps 60 characters). */
const APPEND = /INSERT INTO streams|^WITH t AS MATERIALIZED/;

// Rounds: the intake transaction's connection, from its START TRANSACTION to its COMMIT.
const rounds: { start: number; end: number; statements: TracedQuery[] }[] = [];
let open: { start: number; pid: number | undefined; statements: TracedQuery[] } | null = null;
for (const q of queries) {
  const [issued, done, pid, text] = q;
  if (text.startsWith('START TRANSACTION')) open = { start: issued, pid, statements: [q] };
  else if (open && pid === open.pid && text.startsWith('COMMIT')) {
    open.statements.push(q);
    if (open.statements.some((s) => APPEND.test(s[3]))) {
      rounds.push({ start: open.start, end: done, statements: open.statements });
    }
    open = null;
  } else if (open && pid === open.pid) open.statements.push(q);
}
let inStatements = 0;
let inTxOther = 0;
let between = 0;
let previousEnd: number | null = null;
for (const r of rounds) {
  const busy = covered(r.statements);
  inStatements += busy;
  inTxOther += r.end - r.start - busy;
  if (previousEnd !== null) between += r.start - previousEnd;
  previousEnd = r.end;
}
const total = inStatements + inTxOther + between;
const pct = (x: number): string => `${((100 * x) / total).toFixed(0)} %`;
console.log(
  `intake rounds: ${rounds.length}; first round start → last commit ${total.toFixed(0)} ms: ` +
    `statements ${inStatements.toFixed(0)} ms (${pct(inStatements)}), in the transaction between ` +
    `statements ${inTxOther.toFixed(0)} ms (${pct(inTxOther)}), between rounds ` +
    `${between.toFixed(0)} ms (${pct(between)})` +
    (events > 0 ? `; statements per event ${perEvent(inStatements).trim()}` : ''),
);
