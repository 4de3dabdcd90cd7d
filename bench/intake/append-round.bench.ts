/**
 * PostgreSQL's side of one intake round, without Kafka or the rest of the service: the
 * transaction body of `RequestDeletionHandler` the way main wrote it (four statements: streams,
 * events, outbox messages built in Node, read-model rows folded in Node) and the way it is
 * written now (one statement building the outbox rows and read-model rows in SQL from the
 * events; since ADR 0013's amendment "The outbox row names its event", intake's outbox rows name
 * their events and hold no CloudEvent), side by side in one process on one database, rounds alternated, for several round
 * sizes (docs/benchmarks.md, "PostgreSQL's share of a round").
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/intake/append-round.bench.ts \
 *     [--sizes 100,500,2500] [--events 10000] [--source-event-idx]
 *
 * `--source-event-idx` puts back the full (source, source_event_id) index of the read-model table
 * that migration 1796650000000 replaced (for both paths), to price that index alone.
 * Per event: the PostgreSQL backend's CPU time (utime + stime of the transaction's backend from
 * /proc, BEGIN to COMMIT included, 10 ms ticks summed over all rounds), the Node CPU time of this
 * process (building parameters, parsing results) and the wall time. CPU times are what a loaded
 * machine distorts least. fsync on. The bench's database has no intake-bench trigger.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { DeletionRequestId, SubjectRef } from '@lethe/shared';
import { appendToNewStreams, type NewEvent, type NewStream } from '@lethe/event-store';
import {
  createDatabase,
  dropDatabase,
  runMigrations,
  silentLogger,
  startLocalPostgres,
} from '@lethe/local-infra';
import {
  governanceEventMessage,
  governanceEventOutboxSql,
} from '@lethe/governance/application/messages/governance-cloud-event';
import {
  DELETION_REQUEST_FIRST_ROWS_SQL,
  deletionRequestsView,
} from '@lethe/governance/application/projections/deletion-requests.projection';
import type { DeletionRequested } from '@lethe/governance/domain/deletion-request/deletion-request.events';
import { streams } from '@lethe/governance/domain/shared/stream-names';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const SIZES = arg('sizes', '100,500,2500').split(',').map(Number);
const EVENTS = Number(arg('events', '10000'));
const TICK_US = 10_000; // USER_HZ = 100
const SOURCE_EVENT_IDX = process.argv.includes('--source-event-idx');

const view = deletionRequestsView();

let seq = 0;
/** A DeletionRequested as intake decides it (the shape of the handler's events). */
const requested = (): NewEvent<DeletionRequested> => {
  seq += 1;
  const requestId = DeletionRequestId(randomUUID());
  return {
    type: 'DeletionRequested',
    data: {
      requestId,
      sourceEventId: `evt-${seq}`,
      source: 'urn:lethe:app:crm',
      channel: 'kafka',
      subjectRef: SubjectRef(`sr1:${randomUUID().replace(/-/g, '')}`),
      scope: null,
      legalBasis: 'gdpr-art-17',
      requestedAt: new Date().toISOString(),
      receivedAt: new Date().toISOString(),
      deadline: '2026-12-30T00:00:00.000Z',
      deadlineBasis: 'gdpr',
      contentDigest: `c1:${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`,
    },
    metadata: {
      messageId: randomUUID(),
      correlationId: `evt-${seq}`,
      causationId: `evt-${seq}`,
      actor: 'kafka:urn:lethe:app:crm',
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
};

type Path = 'main (4 statements)' | 'one statement';

/** One round's transaction body, as main wrote it or as it is now. */
async function round(ds: DataSource, path: Path, size: number): Promise<Sample> {
  const events = Array.from({ length: size }, requested);
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  let pid = 0;
  let pgStart = 0;
  await ds.transaction(async (m) => {
    const [row] = await m.query<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
    pid = row?.pid ?? 0;
    pgStart = backendTicks(pid);
    const batch: NewStream<DeletionRequested>[] = events
      .map((e) => {
        const target = streams.deletionRequest(e.data.requestId);
        return path === 'one statement'
          ? { streamId: target.streamId, events: [e] }
          : {
              streamId: target.streamId,
              events: [e],
              outbox: [governanceEventMessage(e, target, 1)],
            };
      })
      .sort((a, b) => (a.streamId < b.streamId ? -1 : 1));
    if (path === 'one statement') {
      await appendToNewStreams(m, batch, {
        outbox: governanceEventOutboxSql,
        also: [DELETION_REQUEST_FIRST_ROWS_SQL],
      });
    } else {
      const { created } = await appendToNewStreams(m, batch);
      const fresh = batch
        .filter((s) => created.has(s.streamId))
        .flatMap((s) =>
          s.events.map((e, i) => ({ ...e, streamId: s.streamId, streamVersion: i + 1 })),
        );
      await view.writeRows(m, view.rowsOfNewStreams(fresh));
    }
  });
  const cpu = process.cpuUsage(cpuStart);
  return {
    pgUs: (backendTicks(pid) - pgStart) * TICK_US,
    nodeUs: cpu.user + cpu.system,
    wallUs: (performance.now() - wallStart) * 1000,
  };
}

interface Sample {
  pgUs: number;
  nodeUs: number;
  wallUs: number;
}

/** utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
function backendTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function main(): Promise<void> {
  const pg = await startLocalPostgres({ logger: silentLogger, fast: false });
  const db = `lethe_append_round_${process.pid}`;
  try {
    const url = await createDatabase(pg.url, db);
    await runMigrations(url);
    const ds = await new DataSource({ type: 'postgres', url, poolSize: 2 }).initialize();
    try {
      if (SOURCE_EVENT_IDX) {
        await ds.query(
          'CREATE INDEX gov_deletion_requests_view_source_event_idx ' +
            'ON gov_deletion_requests_view (source, source_event_id)',
        );
      }
      console.log(
        `intake round, PostgreSQL side (${pg.serverVersion}, fsync on${SOURCE_EVENT_IDX ? ', with the full source_event_idx' : ''}), ${EVENTS} events per size and path, rounds alternated\n`,
      );
      console.log(
        '| round size | path | rounds | PG backend CPU µs/event | Node CPU µs/event | wall µs/event |',
      );
      console.log('| --: | --- | --: | --: | --: | --: |');
      for (const size of SIZES) {
        const rounds = Math.max(1, Math.round(EVENTS / size));
        const paths: Path[] = ['main (4 statements)', 'one statement'];
        // Warm-up: one round of each (plans, caches).
        for (const p of paths) await round(ds, p, size);
        const sums = new Map<Path, Sample>(
          paths.map((p) => [p, { pgUs: 0, nodeUs: 0, wallUs: 0 }]),
        );
        for (let r = 0; r < rounds; r++) {
          for (const p of r % 2 === 0 ? paths : [...paths].reverse()) {
            const s = await round(ds, p, size);
            const acc = sums.get(p) as Sample;
            acc.pgUs += s.pgUs;
            acc.nodeUs += s.nodeUs;
            acc.wallUs += s.wallUs;
          }
        }
        for (const p of paths) {
          const acc = sums.get(p) as Sample;
          const n = rounds * size;
          console.log(
            `| ${size} | ${p} | ${rounds} | ${(acc.pgUs / n).toFixed(0)} | ${(acc.nodeUs / n).toFixed(0)} | ${(acc.wallUs / n).toFixed(0)} |`,
          );
        }
      }
      console.log(`\nload average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
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
