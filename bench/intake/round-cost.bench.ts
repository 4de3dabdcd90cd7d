/**
 * What PostgreSQL spends on intake's one append statement (ADR 0013), part by part, as the round
 * and the tables grow (docs/benchmarks.md, "PostgreSQL's cost per event as the tables grow"):
 * the statement `RequestDeletionHandler` sends (`appendToNewStreams` with the outbox CloudEvent and
 * the read-model row built in SQL), run under `EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON)` —
 * which executes it, so the rounds also grow the tables — inside a transaction that then commits.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/intake/round-cost.bench.ts \
 *     [--table-sizes 0,100000,1000000] [--sizes 1000,5000] [--rounds 3] [--drop idx1,idx2] [--sql '…']
 *
 * For each table size (requests already stored: the tables are filled by rounds of 5,000 of the
 * same statement, then VACUUM (ANALYZE) and CHECKPOINT; autovacuum is off on the four tables so
 * that the WAL measured is the rounds' own), for each round size, `--rounds` measured rounds
 * (the first size's first round right after the CHECKPOINT): per event, the backend's CPU (utime + stime from /proc, BEGIN to COMMIT, 10 ms
 * ticks), the statement's execution time and each table's INSERT node time from the plan (node
 * times include that table's index and trigger work; EXPLAIN's clock reads inflate them a
 * little), WAL bytes per event (the insert position's move from BEGIN to after COMMIT), full-page
 * images per event (the plan's INSERT nodes) and
 * shared buffers read from outside PostgreSQL's cache. The first measured round of each table size
 * follows the CHECKPOINT, so it pays the full-page images a round pays after each checkpoint.
 * `--drop` drops the named indexes after migrating, to price them, and `--sql` runs statements
 * after migrating (experiments, not the schema).
 * Runs on whatever tree it sits in: `bench/intake/round-cost-vs-baseline.sh` runs it on a baseline
 * commit and on this tree back to back. fsync on; the server's settings as `startLocalPostgres`
 * gives them (shared_buffers 128 MB, max_wal_size 1 GB, wal_compression off).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PoolClient } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { DeletionRequestId, SubjectRef } from '@lethe/shared';
import { appendToNewStreams, type NewEvent, type NewStream } from '@lethe/event-store';
import {
  createDatabase,
  dropDatabase,
  runMigrations,
  silentLogger,
  startLocalPostgres,
} from '@lethe/local-infra';
import { governanceEventOutboxSql } from '@lethe/governance/application/messages/governance-cloud-event';
import { DELETION_REQUEST_FIRST_ROWS_SQL } from '@lethe/governance/application/projections/deletion-requests.projection';
import type { DeletionRequested } from '@lethe/governance/domain/deletion-request/deletion-request.events';
import { streams } from '@lethe/governance/domain/shared/stream-names';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const TABLE_SIZES = arg('table-sizes', '0,100000,1000000').split(',').map(Number);
const SIZES = arg('sizes', '1000,5000').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '3'));
const DROP = arg('drop', '')
  .split(',')
  .filter((s) => s.length > 0);
/** Statements run after migrating (`;`-separated): an experiment's schema change, not a schema. */
const SETUP = arg('sql', '');
const FILL_ROUND = 5000;
const TICK_US = 10_000; // USER_HZ = 100

/**
 * `--parts`: which of the statement's SQL-built parts run (an experiment to price each):
 * `outbox,view` (the default: what intake runs), `outbox`, `view`, `none`, or `outbox-const`
 * (the outbox row with a constant value instead of the CloudEvent built in SQL).
 */
const PARTS = arg('parts', 'outbox,view').split(',');
export const BUILT_IN_SQL = {
  ...(PARTS.includes('outbox') ? { outbox: governanceEventOutboxSql } : {}),
  ...(PARTS.includes('outbox-const')
    ? { outbox: { ...governanceEventOutboxSql, value: `'{}'` } }
    : {}),
  also: PARTS.includes('view') ? [DELETION_REQUEST_FIRST_ROWS_SQL] : [],
};

let seq = 0;
const hex = (): string => randomUUID().replace(/-/g, '');
/** A DeletionRequested as intake decides it (the shape of the handler's events). */
export const requested = (): NewEvent<DeletionRequested> => {
  seq += 1;
  const requestId = DeletionRequestId(randomUUID());
  const now = new Date().toISOString();
  return {
    type: 'DeletionRequested',
    data: {
      requestId,
      sourceEventId: `evt-${seq}`,
      source: `urn:lethe:app:${seq % 10 === 0 ? 'billing' : 'crm'}`,
      channel: 'kafka',
      subjectRef: SubjectRef(`sr1:${hex()}`),
      scope: null,
      legalBasis: 'gdpr-art-17',
      requestedAt: now,
      receivedAt: now,
      deadline: '2026-12-30T00:00:00.000Z',
      deadlineBasis: 'gdpr',
      contentDigest: `c1:${hex()}${hex()}`,
    },
    metadata: {
      messageId: randomUUID(),
      correlationId: `evt-${seq}`,
      causationId: `evt-${seq}`,
      actor: 'kafka:urn:lethe:app:crm',
      occurredAt: now,
      schemaVersion: 1,
    },
  };
};

interface PlanNode {
  'Node Type': string;
  Operation?: string;
  'Relation Name'?: string;
  'Actual Total Time'?: number;
  'Shared Read Blocks'?: number;
  'WAL Bytes'?: number;
  'WAL FPI'?: number;
  Plans?: PlanNode[];
}
interface Explained {
  Plan: PlanNode;
  'Execution Time': number;
  Triggers?: { 'Trigger Name': string; Time: number; Calls: number }[];
}

interface Sample {
  events: number;
  pgUs: number;
  execMs: number;
  byTable: Map<string, number>;
  walBytes: number;
  walFpi: number;
  sharedRead: number;
  triggersMs: number;
}

/** The statement's ModifyTable nodes by relation, with the whole plan's WAL and buffer reads. */
function collect(node: PlanNode, s: Sample): void {
  if (node['Node Type'] === 'ModifyTable' && node['Relation Name']) {
    const t = node['Relation Name'];
    s.byTable.set(t, (s.byTable.get(t) ?? 0) + (node['Actual Total Time'] ?? 0));
    s.walFpi += node['WAL FPI'] ?? 0; // the inserts' own full-page images (not the sequence's)
  }
  for (const p of node.Plans ?? []) collect(p, s);
}

/**
 * Runs `instead` in place of intake's append statement (the one beginning `WITH`) for the rest of
 * the transaction `m`: its text, its values and the transaction's node-pg client, whose result
 * rows stand for the statement's. The statement goes to that client directly (a named prepared
 * statement, `sqlPrepared`), not through TypeORM's `runner.query`, so this is where to catch it.
 * `instead` gets the client's own `query`, not the wrapped one.
 */
export async function onAppendStatement(
  m: EntityManager,
  instead: (
    text: string,
    values: unknown[],
    client: Pick<PoolClient, 'query'>,
  ) => Promise<unknown[]>,
): Promise<void> {
  const runner = m.queryRunner;
  if (!runner) throw new Error('onAppendStatement needs a transaction');
  const client = (await runner.connect()) as PoolClient;
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const wrapped = async (...args: unknown[]): Promise<unknown> => {
    const config = args[0] as { text?: unknown; values?: unknown[] } | string;
    if (typeof config === 'object' && typeof config.text === 'string') {
      if (config.text.trimStart().startsWith('WITH')) {
        // The client as it was (its own query), so `instead` may send the statement itself.
        return {
          rows: await instead(config.text, config.values ?? [], {
            query: query as PoolClient['query'],
          }),
        };
      }
    }
    return query(...args);
  };
  client.query = wrapped as PoolClient['query'];
  // Back to the client's own query once the transaction ends (the client returns to the pool).
  const release = runner.release.bind(runner);
  runner.release = async () => {
    client.query = query as PoolClient['query'];
    return release();
  };
}

/** One round through `appendToNewStreams`; with `explain`, its statement runs under EXPLAIN. */
async function round(ds: DataSource, size: number, explain: boolean): Promise<Sample> {
  const events = Array.from({ length: size }, requested);
  const sample: Sample = {
    events: size,
    pgUs: 0,
    execMs: 0,
    byTable: new Map(),
    walBytes: 0,
    walFpi: 0,
    sharedRead: 0,
    triggersMs: 0,
  };
  let pid = 0;
  let pgStart = 0;
  let lsn = '0/0';
  await ds.transaction(async (m: EntityManager) => {
    const [row] = await m.query<{ pid: number; lsn: string }[]>(
      'SELECT pg_backend_pid() AS pid, pg_current_wal_insert_lsn()::text AS lsn',
    );
    pid = row?.pid ?? 0;
    lsn = row?.lsn ?? '0/0';
    pgStart = backendTicks(pid);
    const batch: NewStream<DeletionRequested>[] = events
      .map((e) => ({ streamId: streams.deletionRequest(e.data.requestId).streamId, events: [e] }))
      .sort((a, b) => (a.streamId < b.streamId ? -1 : 1));
    if (explain) {
      await onAppendStatement(m, async (text, values, client) => {
        const res = await client.query<{ 'QUERY PLAN': Explained[] }>(
          `EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) ${text}`,
          values,
        );
        const plan = res.rows[0]?.['QUERY PLAN'][0];
        if (plan) {
          sample.execMs = plan['Execution Time'];
          sample.sharedRead = plan.Plan['Shared Read Blocks'] ?? 0;
          sample.triggersMs = (plan.Triggers ?? []).reduce((n, t) => n + t.Time, 0);
          collect(plan.Plan, sample);
        }
        // The statement's own result (skipped streams, NULL values): none in this bench.
        return [];
      });
    }
    await appendToNewStreams(m, batch, BUILT_IN_SQL);
  });
  sample.pgUs = (backendTicks(pid) - pgStart) * TICK_US;
  // All WAL from BEGIN to after COMMIT (the plan's own WAL counters miss the CTEs run after the
  // main query). The bench is the server's only writer; autovacuum may add a little.
  const [wal] = await ds.query<{ bytes: string }[]>(
    'SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::text AS bytes',
    [lsn],
  );
  sample.walBytes = Number(wal?.bytes ?? 0);
  return sample;
}

/** utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
export function backendTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const TABLES = ['streams', 'events', 'outbox', 'gov_deletion_requests_view'] as const;
const SHORT: Record<string, string> = {
  streams: 'streams',
  events: 'events',
  outbox: 'outbox',
  gov_deletion_requests_view: 'view',
};

async function main(): Promise<void> {
  const pg = await startLocalPostgres({ logger: silentLogger, fast: false });
  const db = `lethe_round_cost_${process.pid}`;
  try {
    const url = await createDatabase(pg.url, db);
    await runMigrations(url);
    const ds = await new DataSource({ type: 'postgres', url, poolSize: 2 }).initialize();
    try {
      // No autovacuum on the four tables, so that the WAL measured is the rounds' own (the fill
      // is vacuumed once before the CHECKPOINT instead, as autovacuum would have done).
      for (const t of ['streams', 'events', 'outbox', 'gov_deletion_requests_view']) {
        await ds.query(`ALTER TABLE ${t} SET (autovacuum_enabled = off)`);
      }
      for (const index of DROP) await ds.query(`DROP INDEX ${index}`);
      if (SETUP) await ds.query(SETUP);
      const settings = await ds.query<{ name: string; setting: string; unit: string | null }[]>(
        `SELECT name, setting, unit FROM pg_settings
          WHERE name IN ('shared_buffers','max_wal_size','wal_compression','full_page_writes','fsync','synchronous_commit','checkpoint_timeout')
          ORDER BY name`,
      );
      console.log(
        `intake append statement, PostgreSQL ${pg.serverVersion}; ${settings
          .map((s) => `${s.name}=${s.setting}${s.unit ?? ''}`)
          .join(
            ', ',
          )}; parts: ${PARTS.join(',')}${DROP.length ? `; dropped: ${DROP.join(', ')}` : ''}${SETUP ? `; set-up: ${SETUP}` : ''}\n`,
      );
      console.log(
        '| rows before | round | rounds | PG CPU µs/ev | exec µs/ev | streams | events | outbox | view | triggers | WAL B/ev | FPI/ev | disk reads/ev | load |',
      );
      console.log(
        '| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |',
      );
      let stored = 0;
      for (const target of TABLE_SIZES) {
        while (stored < target) {
          const n = Math.min(FILL_ROUND, target - stored);
          await round(ds, n, false);
          stored += n;
        }
        await ds.query('VACUUM (ANALYZE) streams, events, outbox, gov_deletion_requests_view');
        await ds.query('CHECKPOINT');
        for (const size of SIZES) {
          const measured: Sample[] = [];
          for (let r = 0; r < ROUNDS; r++) measured.push(await round(ds, size, true));
          stored += size * ROUNDS;
          const n = measured.reduce((a, s) => a + s.events, 0);
          const sum = (f: (s: Sample) => number): number => measured.reduce((a, s) => a + f(s), 0);
          const per = (ms: number): string => ((ms * 1000) / n).toFixed(1);
          const cells = TABLES.map((t) => per(sum((s) => s.byTable.get(t) ?? 0)));
          console.log(
            `| ${target.toLocaleString('en')} | ${size.toLocaleString('en')} | ${measured.length} | ${(sum((s) => s.pgUs) / n).toFixed(0)} | ${per(sum((s) => s.execMs))} | ${cells.join(' | ')} | ${per(sum((s) => s.triggersMs))} | ${(sum((s) => s.walBytes) / n).toFixed(0)} | ${(sum((s) => s.walFpi) / n).toFixed(2)} | ${(sum((s) => s.sharedRead) / n).toFixed(2)} | ${load()} |`,
          );
          for (const s of measured) {
            process.stderr.write(
              `  round ${s.events}: exec ${s.execMs.toFixed(0)} ms, ${TABLES.map((t) => `${SHORT[t]} ${(s.byTable.get(t) ?? 0).toFixed(0)}`).join(', ')}, WAL ${(s.walBytes / 1e6).toFixed(1)} MB, FPI ${s.walFpi}\n`,
            );
          }
        }
      }
      const sizes = await ds.query<{ rel: string; bytes: string }[]>(
        `SELECT c.relname AS rel, pg_relation_size(c.oid)::text AS bytes FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r','i')
           AND (c.relname LIKE 'events%' OR c.relname LIKE 'outbox%' OR c.relname LIKE 'streams%'
                OR c.relname LIKE 'gov_deletion_requests_view%')
         ORDER BY c.relname`,
      );
      console.log(
        `\nrows at the end: ${stored.toLocaleString('en')}; relation sizes (MB): ${sizes
          .map((s) => `${s.rel} ${(Number(s.bytes) / 1e6).toFixed(0)}`)
          .join(', ')}`,
      );
    } finally {
      await ds.destroy();
    }
  } finally {
    await dropDatabase(pg.url, db).catch(() => undefined);
    await pg.stop();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
