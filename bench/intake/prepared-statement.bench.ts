/**
 * What preparing intake's one append statement saves PostgreSQL per round (ADR 0013, "The intake
 * statement, prepared"; docs/benchmarks.md, same section). Rounds of k events go through
 * `appendToNewStreams` on one connection, each round its own transaction that commits (fsync on),
 * the statement sent two ways, alternating block by block: as the product sends it (a named
 * prepared statement: parsed and planned once per connection) and with its name stripped (parsed,
 * analysed and planned on every round, as before the change). Per round: the backend's CPU
 * (utime + stime from /proc, 10 ms ticks, summed over a block) and the wall time; and the
 * planner's time for the statement from `EXPLAIN (SUMMARY)`, which plans without executing.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/intake/prepared-statement.bench.ts \
 *     [--sizes 8,64,512] [--rounds 500] [--blocks 2]
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { DataSource, type EntityManager } from 'typeorm';
import { appendToNewStreams, type NewStream } from '@lethe/event-store';
import {
  createDatabase,
  dropDatabase,
  runMigrations,
  silentLogger,
  startLocalPostgres,
} from '@lethe/local-infra';
import type { DeletionRequested } from '@lethe/governance/domain/deletion-request/deletion-request.events';
import { streams } from '@lethe/governance/domain/shared/stream-names';
import { backendTicks, BUILT_IN_SQL, onAppendStatement, requested } from './round-cost.bench';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const SIZES = arg('sizes', '8,64,512').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '500'));
const BLOCKS = Number(arg('blocks', '2'));
const TICK_US = 10_000; // USER_HZ = 100
type Mode = 'named' | 'unnamed';

const batchOf = (size: number): NewStream<DeletionRequested>[] =>
  Array.from({ length: size }, requested)
    .map((e) => ({ streamId: streams.deletionRequest(e.data.requestId).streamId, events: [e] }))
    .sort((a, b) => (a.streamId < b.streamId ? -1 : 1));

/** One round; `unnamed` sends the same statement without its name (no prepared statement). */
async function round(ds: DataSource, size: number, mode: Mode): Promise<void> {
  await ds.transaction(async (m: EntityManager) => {
    if (mode === 'unnamed') {
      await onAppendStatement(m, async (text, values, client) => {
        return (await client.query({ text, values })).rows;
      });
    }
    await appendToNewStreams(m, batchOf(size), BUILT_IN_SQL);
  });
}

/** The planner's time for the statement of a round of `size`, planned without executing. */
async function planningMs(ds: DataSource, size: number): Promise<number> {
  let ms = NaN;
  await ds.transaction(async (m: EntityManager) => {
    await onAppendStatement(m, async (text, values, client) => {
      const r = await client.query<{ 'QUERY PLAN': { 'Planning Time': number }[] }>(
        `EXPLAIN (SUMMARY, FORMAT JSON) ${text}`,
        values,
      );
      ms = r.rows[0]?.['QUERY PLAN'][0]?.['Planning Time'] ?? NaN;
      return [];
    });
    await appendToNewStreams(m, batchOf(size), BUILT_IN_SQL);
  });
  return ms;
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const pg = await startLocalPostgres({ logger: silentLogger, fast: false });
  const db = `lethe_prepared_${process.pid}`;
  try {
    const url = await createDatabase(pg.url, db);
    await runMigrations(url);
    // One connection: every round shares its session, so the named statement is parsed once.
    const ds = await new DataSource({ type: 'postgres', url, poolSize: 1 }).initialize();
    try {
      const [row] = await ds.query<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
      const pid = row?.pid ?? 0;
      console.log(
        `intake's append statement, named (prepared) against unnamed; ${ROUNDS} rounds per block, ${BLOCKS} blocks per mode, one connection, fsync on\n`,
      );
      console.log(
        '| events per round | planning ms (EXPLAIN) | mode | rounds | PG CPU µs / round | PG CPU µs / event | wall ms / round | load |',
      );
      console.log('| --: | --: | --- | --: | --: | --: | --: | --- |');
      for (const size of SIZES) {
        for (let i = 0; i < 20; i++) await round(ds, size, 'named'); // warm both caches
        const plan = await planningMs(ds, size);
        const totals = new Map<Mode, { ticks: number; ms: number; rounds: number }>();
        for (let b = 0; b < BLOCKS; b++) {
          for (const mode of ['unnamed', 'named'] as const) {
            const t0 = backendTicks(pid);
            const w0 = performance.now();
            for (let r = 0; r < ROUNDS; r++) await round(ds, size, mode);
            const t = totals.get(mode) ?? { ticks: 0, ms: 0, rounds: 0 };
            t.ticks += backendTicks(pid) - t0;
            t.ms += performance.now() - w0;
            t.rounds += ROUNDS;
            totals.set(mode, t);
          }
        }
        for (const [mode, t] of totals) {
          const us = (t.ticks * TICK_US) / t.rounds;
          console.log(
            `| ${size} | ${plan.toFixed(3)} | ${mode} | ${t.rounds} | ${us.toFixed(0)} | ${(us / size).toFixed(1)} | ${(t.ms / t.rounds).toFixed(2)} | ${load()} |`,
          );
        }
      }
    } finally {
      await ds.destroy();
    }
  } finally {
    await dropDatabase(pg.url, db).catch(() => undefined);
    await pg.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
