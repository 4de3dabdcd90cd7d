/**
 * Which query each index of intake's tables serves (docs/benchmarks.md, "PostgreSQL's share of a
 * round"): seeds a migrated database (the request view with a few legacy rows, events, a mostly
 * published outbox), ANALYZEs it, and prints the plan of each read query that touches them, as
 * the code issues it (texts copied from the handlers named beside each), with the indexes used.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/intake/index-review.ts [--rows 100000]
 */
import { Client } from 'pg';
import {
  createDatabase,
  dropDatabase,
  runMigrations,
  silentLogger,
  startLocalPostgres,
} from '@lethe/local-infra';
import { requestIdFor } from '@lethe/governance/application/ids';
import { FIND_BY_SOURCE_EVENT_SQL } from '@lethe/governance/application/queries/find-deletion-request/find-deletion-request.handler';
import { GOVERNANCE_EVENT_VALUES } from '@lethe/governance/application/messages/governance-cloud-event';
import { outboxFetchSql } from '@lethe/event-store';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 100_000;
const SETTLED = ['certified', 'no-records', 'rejected'];

/** [table, what issues it, text, params] */
const QUERIES: readonly [string, string, string, unknown[]][] = [
  [
    'gov_deletion_requests_view',
    'find-deletion-request.handler.ts (GET ?source=&eventId=, a derived id)',
    FIND_BY_SOURCE_EVENT_SQL,
    ['urn:src:3', 'evt-3', requestIdFor('urn:src:3', 'evt-3')],
  ],
  [
    'gov_deletion_requests_view',
    'get-deletion-request.handler.ts (GET /v1/deletion-requests/:id)',
    'SELECT * FROM gov_deletion_requests_view WHERE request_id = $1',
    [requestIdFor('urn:src:3', 'evt-3')],
  ],
  [
    'gov_deletion_requests_view',
    'list-deletion-requests.handler.ts (a page, no filter)',
    `SELECT * FROM gov_deletion_requests_view ORDER BY received_at, request_id LIMIT $1`,
    [51],
  ],
  [
    'gov_deletion_requests_view',
    'list-deletion-requests.handler.ts (?source=)',
    `SELECT * FROM gov_deletion_requests_view WHERE source = ANY($1::text[])
      ORDER BY received_at, request_id LIMIT $2`,
    [['urn:src:3'], 51],
  ],
  [
    'gov_deletion_requests_view',
    'list-deletion-requests.handler.ts (?source= of a rare source)',
    `SELECT * FROM gov_deletion_requests_view WHERE source = ANY($1::text[])
      ORDER BY received_at, request_id LIMIT $2`,
    [['urn:src:rare'], 51],
  ],
  [
    'gov_deletion_requests_view',
    'get-compliance-summary.handler.ts (overdue rows)',
    `SELECT request_id, status, source, received_at, deadline, completed_at, models
       FROM gov_deletion_requests_view
      WHERE status <> ALL($1::text[]) AND deadline < $2
      ORDER BY deadline, request_id LIMIT $3`,
    [SETTLED, new Date('2026-06-01T00:00:00Z'), 100],
  ],
  [
    'events',
    'read-stream.ts / read-first-events.ts (a stream from a version)',
    `SELECT * FROM events WHERE stream_id = ANY($1::text[]) AND stream_version = 1`,
    [['s-7', 's-8']],
  ],
  [
    'events',
    'read-all.ts (subscriptions: after a position, safe order)',
    `SELECT * FROM events WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
      ORDER BY transaction_id, global_position LIMIT $3`,
    ['0', '0', 500],
  ],
  [
    'outbox',
    'outbox-relay.ts fetch (unpublished, safe order; the value built from the event a row names)',
    outboxFetchSql(GOVERNANCE_EVENT_VALUES),
    ['0', '0', 500],
  ],
];

async function main(): Promise<void> {
  const pg = await startLocalPostgres({ logger: silentLogger, fast: true });
  const db = `lethe_index_review_${process.pid}`;
  try {
    const url = await createDatabase(pg.url, db);
    await runMigrations(url);
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      // Request view: ids derived from (source, id) as intake writes them, 1 % legacy rows
      // (another id, no digest), statuses and deadlines spread; ten sources, one of them rare
      // (0.1 % of the rows).
      const sourceOf = (i: number): string =>
        i % 1000 === 7 ? 'urn:src:rare' : `urn:src:${i % 10}`;
      const ids = Array.from({ length: ROWS }, (_, i) =>
        i % 100 === 0 ? `legacy-${i}` : requestIdFor(sourceOf(i), `evt-${i}`),
      );
      await c.query(
        `INSERT INTO gov_deletion_requests_view (request_id, source_event_id, source, channel,
           subject_ref, legal_basis, status, requested_at, received_at, deadline, deadline_basis,
           stream_version, updated_at, content_digest)
         SELECT id, 'evt-' || (i - 1), src, 'kafka', 'ref', 'gdpr',
                (ARRAY['received','certified','in-progress','no-records'])[1 + i % 4],
                now(), timestamptz '2026-01-01' + i * interval '1 minute',
                timestamptz '2026-02-01' + i * interval '1 minute', 'gdpr', 1, now(),
                CASE WHEN (i - 1) % 100 = 0 THEN NULL ELSE 'c1:x' END
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(id, src, i)`,
        [ids, ids.map((_, i) => sourceOf(i))],
      );
      // Events, each with the outbox row that names it (as intake writes them), 1 % unpublished.
      await c.query(
        `WITH ev AS (
           INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata)
           SELECT 'deletion_request-' || i, 1, gen_random_uuid(), 'DeletionRequested', '{}',
                  '{"messageId":"m","occurredAt":"t","correlationId":"c","causationId":"c","schemaVersion":1}'
             FROM generate_series(1, $1::int) AS i
           RETURNING global_position)
         INSERT INTO outbox (topic, key, event_position, published_at)
         SELECT 't', 'k', ev.global_position,
                CASE WHEN ev.global_position % 100 = 0 THEN NULL ELSE now() END
           FROM ev`,
        [ROWS],
      );
      await c.query('ANALYZE');
      const indexes = await c.query<{ tablename: string; indexname: string }>(
        `SELECT tablename, indexname FROM pg_indexes
          WHERE tablename IN ('gov_deletion_requests_view', 'events', 'outbox', 'streams')
          ORDER BY 1, 2`,
      );
      const used = new Map<string, string[]>();
      for (const [table, who, text, params] of QUERIES) {
        const plan = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${text}`, params);
        const lines = plan.rows.map((r) => r['QUERY PLAN']);
        console.log(`\n## ${table}: ${who}\n${lines.join('\n')}`);
        for (const l of lines) {
          const m = / using (\S+) on /i.exec(l) ?? /Bitmap Index Scan on (\S+)/.exec(l);
          if (m?.[1]) used.set(m[1], [...(used.get(m[1]) ?? []), who]);
        }
      }
      console.log('\n## index → the queries above that use it');
      for (const r of indexes.rows) {
        const by = used.get(r.indexname);
        console.log(
          `${r.tablename}.${r.indexname}: ${by ? [...new Set(by)].join('; ') : '(no read above)'}`,
        );
      }
    } finally {
      await c.end();
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
