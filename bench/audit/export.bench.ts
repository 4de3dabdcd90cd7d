/**
 * The auditor's costs as the log grows (libs/audit, docs/adr/0016-audit-export.md):
 *   npm run bench:audit:export                         # sizes 10000,100000
 *   npm run bench:audit:export -- --sizes 10000,100000,1000000
 *
 * One process, one real PostgreSQL (embedded, fsync on), the real Nest routes over loopback HTTP.
 * The log is grown stage by stage (seed-log.ts: valid signed certificates, batched inserts) and at
 * each size n it measures, side by side:
 * - certificate lookup, GET /v1/certificates/:id, sequential keep-alive requests on random ids:
 *   p50/p99 with the block index warm, the first (cold) lookup that fills it, and the baseline
 *   the route used before (every leaf hash read, then the proof: ADR 0008's O(n) path);
 * - export, GET /v1/audit/export?format=jsonl of the whole log, read by a client in the same
 *   process: records/s, MB/s, and the process RSS sampled every 20 ms (peak minus the RSS just
 *   before); the baseline is the database read alone (keyset pages of the same blocks, no proofs,
 *   no rendering, no HTTP).
 * Wall times on a machine shared with other jobs are inflated by waiting for a core; the Node
 * process's CPU time per lookup / per record (process.cpuUsage: server and client, not
 * PostgreSQL) is printed beside them as the load-independent part.
 */
import { request as httpRequest, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyRegistry, AuthGuard, ProblemDetailsFilter } from '@lethe/shared/infrastructure/http';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CommandBus } from '@nestjs/cqrs';
import {
  AUDIT_SIGNER,
  AppendCertificateCommand,
  AuditModule,
  KeyRing,
  MerkleNodeIndex,
  PostgresAuditLogStore,
  generateEd25519,
  inclusionProof,
  planRanges,
  inclusionRanges,
  rootFromLeafHashes,
  type JoseAuditSigner,
} from '@lethe/audit';
import { aNoOpCertificate } from '@lethe/audit/testing/certificate.factory';
import { printTable, startBenchInfra } from '../support/infra';
import { MerkleBlockIndex } from './block-index.baseline';
import { emptySeedState, seedLog } from './seed-log';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SIZES = (arg('sizes') ?? '10000,100000').split(',').map(Number);
const LOOKUPS = Number(arg('lookups') ?? 1000);
const TOKEN = 'bench-auditor-key-000000';

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function get(
  agent: Agent,
  port: number,
  path: string,
  onData?: (chunk: Buffer) => void,
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${TOKEN}` } },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          onData?.(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const infra = await startBenchInfra({ kafka: false });
  const url = await infra.freshDatabase('audit_export');
  const key = { kid: 'bench-1', ...generateEd25519() };
  const keyRing = KeyRing.of([
    { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: null, ...key },
  ]);

  @Module({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRoot({ type: 'postgres', url, synchronize: false, extra: { max: 4 } }),
      AuditModule.forRoot({ origin: 'lethe.audit/bench', keyRing }),
    ],
    providers: [
      {
        provide: ApiKeyRegistry,
        useValue: new ApiKeyRegistry([{ name: 'auditor', key: TOKEN, roles: ['auditor'] }]),
      },
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    ],
  })
  class BenchModule {}

  const app = await NestFactory.create(BenchModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  // Stages seed for minutes between requests: keep the client's keep-alive socket usable.
  (app.getHttpServer() as { keepAliveTimeout: number }).keepAliveTimeout = 3_600_000;
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const dataSource = app.get(DataSource);
  const signer = app.get<JoseAuditSigner>(AUDIT_SIGNER);
  const store = new PostgresAuditLogStore(dataSource);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const state = emptySeedState();
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  const lookupRows: (string | number)[][] = [];
  const exportRows: (string | number)[][] = [];

  for (const n of SIZES) {
    const seedStart = performance.now();
    await seedLog(
      dataSource,
      state,
      n,
      key,
      signer,
      (i) => new Date(t0 + i),
      (s) => {
        if (s % 100_000 === 0) process.stderr.write(`  seeded ${s}\n`);
      },
    );
    const seedS = (performance.now() - seedStart) / 1000;
    await dataSource.query('ANALYZE audit_entries');
    process.stderr.write(`n=${n}: seeded in ${seedS.toFixed(1)} s\n`);

    // Lookup: cold (fills the block index), then warm p50/p99 on random ids.
    const id = (i: number) => `cert-${String(i).padStart(11, '0')}`;
    let c0 = performance.now();
    const cold = await get(agent, port, `/v1/certificates/${id(Math.floor(n / 2))}`);
    const coldMs = performance.now() - c0;
    if (cold.status !== 200) throw new Error(`lookup answered ${cold.status}`);
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let k = 0; k < LOOKUPS; k++) {
      const i = Math.floor(Math.random() * n);
      c0 = performance.now();
      const r = await get(agent, port, `/v1/certificates/${id(i)}`);
      times.push(performance.now() - c0);
      if (r.status !== 200) throw new Error(`lookup answered ${r.status}`);
    }
    const cpu = process.cpuUsage(cpu0);
    const lookupCpuMs = (cpu.user + cpu.system) / 1000 / LOOKUPS;
    times.sort((a, b) => a - b);
    // The proof alone, in process, side by side on the same random leaves: the stored subtree
    // hashes (now) and the in-memory block index the route used before (cold fill, then warm).
    const latest = (await store.latestCheckpoint())!;
    const nodes = new MerkleNodeIndex(store);
    const blocks = new MerkleBlockIndex(store);
    c0 = performance.now();
    await blocks.inclusionProof(0, n, latest.rootHash);
    const blockColdMs = performance.now() - c0;
    const proofNow: number[] = [];
    const proofBlock: number[] = [];
    for (let k = 0; k < 500; k++) {
      const i = Math.floor(Math.random() * n);
      c0 = performance.now();
      await nodes.inclusionProof(i, n);
      proofNow.push(performance.now() - c0);
      c0 = performance.now();
      await blocks.inclusionProof(i, n, latest.rootHash);
      proofBlock.push(performance.now() - c0);
    }
    proofNow.sort((a, b) => a - b);
    proofBlock.sort((a, b) => a - b);
    // Where the time goes in PostgreSQL: the plans of the lookup's queries at this size.
    const leaf = Math.floor(n / 3);
    const { nodes: refs } = planRanges(inclusionRanges(leaf, n));
    for (const [what, sql, params] of [
      [
        'entry by key',
        'SELECT * FROM audit_entries WHERE entry_key = $1',
        [`certificate:${id(leaf)}`],
      ],
      ['latest checkpoint', 'SELECT * FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1', []],
      [
        `proof nodes (${refs.length})`,
        `SELECT r.ord, CASE WHEN r.level = 0 THEN e.leaf_hash ELSE n.hash END AS hash
           FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS r(level, idx, ord)
           LEFT JOIN audit_entries e ON r.level = 0 AND e.leaf_index = r.idx
           LEFT JOIN audit_merkle_nodes n ON r.level > 0 AND n.level = r.level AND n.idx = r.idx`,
        [refs.map((r) => r.level), refs.map((r) => String(r.index))],
      ],
      [
        'previous: one block of leaf hashes',
        `SELECT string_agg(leaf_hash, ''::bytea ORDER BY leaf_index) FROM audit_entries
          WHERE leaf_index >= $1 AND leaf_index < $2`,
        [leaf - (leaf % 1024), leaf - (leaf % 1024) + 1024],
      ],
    ] as const) {
      const plan = await dataSource.query<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN (ANALYZE, BUFFERS) ${sql}`,
        [...params] as unknown[],
      );
      process.stderr.write(
        `n=${n} EXPLAIN ANALYZE ${what}:\n${plan.map((r) => `    ${r['QUERY PLAN']}`).join('\n')}\n`,
      );
    }
    const baseline: number[] = [];
    for (let k = 0; k < (n > 100_000 ? 1 : 3); k++) {
      c0 = performance.now();
      const leaves = await store.leafHashes(n);
      inclusionProof(leaves, Math.floor(Math.random() * n), n);
      baseline.push(performance.now() - c0);
    }
    baseline.sort((a, b) => a - b);
    lookupRows.push([
      n,
      pct(times, 50).toFixed(2),
      pct(times, 99).toFixed(2),
      lookupCpuMs.toFixed(2),
      coldMs.toFixed(0),
      `${pct(proofNow, 50).toFixed(2)} / ${pct(proofNow, 99).toFixed(2)}`,
      `${pct(proofBlock, 50).toFixed(2)} / ${pct(proofBlock, 99).toFixed(2)}`,
      blockColdMs.toFixed(0),
      (baseline[Math.floor(baseline.length / 2)] ?? NaN).toFixed(0),
    ]);

    // Export of the whole log, RSS sampled; then the database read alone.
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    let lines = 0;
    const ecpu0 = process.cpuUsage();
    c0 = performance.now();
    const exp = await get(agent, port, '/v1/audit/export?format=jsonl', (chunk) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    });
    const exportS = (performance.now() - c0) / 1000;
    const ecpu = process.cpuUsage(ecpu0);
    const exportCpuUs = (ecpu.user + ecpu.system) / n;
    clearInterval(sampler);
    if (exp.status !== 200 || lines !== n) throw new Error(`export: ${exp.status}, ${lines} lines`);
    // Live memory: the same export again, with a full GC every 100 ms, peak of V8 heap + buffers
    // above the level before (what the export holds, without the GC's laziness RSS shows).
    global.gc?.();
    const live = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.external + m.arrayBuffers;
    };
    const live0 = live();
    let livePeak = live0;
    const gcSampler = setInterval(() => {
      global.gc?.();
      livePeak = Math.max(livePeak, live());
    }, 100);
    await get(agent, port, '/v1/audit/export?format=jsonl');
    clearInterval(gcSampler);
    c0 = performance.now();
    for (let from = 0; from < n; from += 4096) {
      await store.blockRows(from, Math.min(n, from + 4096), { from: null, to: null });
    }
    const readS = (performance.now() - c0) / 1000;
    exportRows.push([
      n,
      Math.round(n / exportS),
      exportCpuUs.toFixed(0),
      Math.round(1e6 / exportCpuUs),
      (exp.bytes / exportS / 1e6).toFixed(1),
      ((peak - rss0) / 1e6).toFixed(0),
      (rss0 / 1e6).toFixed(0),
      global.gc ? ((livePeak - live0) / 1e6).toFixed(1) : 'n/a (run with --expose-gc)',
      Math.round(n / readS),
      (exp.bytes / n).toFixed(0),
    ]);
    // Each size's figures as soon as they exist (a long 10^6 run that is stopped keeps them).
    process.stderr.write(
      `n=${n}: lookup ${JSON.stringify(lookupRows.at(-1))} export ${JSON.stringify(exportRows.at(-1))}\n`,
    );
  }

  // Appends through the service's path at the last size (after the last export: the seeder's
  // state no longer matches once real appends land), beside what each append did before: read
  // every leaf hash and recompute the root.
  const appendRows: (string | number)[][] = [];
  {
    const n = state.size;
    const bus = app.get(CommandBus);
    const at: number[] = [];
    const APPENDS = 50;
    for (let k = 0; k < APPENDS; k++) {
      const jws = await signer.signCertificate(
        aNoOpCertificate({ certificateId: `cert-append-${k}`, issuedAt: new Date().toISOString() }),
      );
      const c0 = performance.now();
      await bus.execute(new AppendCertificateCommand(jws));
      at.push(performance.now() - c0);
    }
    at.sort((a, b) => a - b);
    const c0 = performance.now();
    rootFromLeafHashes(await store.leafHashes());
    appendRows.push([
      n,
      APPENDS,
      pct(at, 50).toFixed(2),
      pct(at, 99).toFixed(2),
      (performance.now() - c0).toFixed(0),
    ]);
  }

  printTable(
    'Certificate lookup, GET /v1/certificates/:id (loopback HTTP, sequential, random ids)',
    [
      'certificates n',
      'p50 ms',
      'p99 ms',
      'Node CPU ms/lookup',
      'first (cold) lookup ms',
      'proof now: stored nodes p50 / p99 ms',
      'proof before: block index (warm) p50 / p99 ms',
      'block index cold fill ms',
      'ADR 0008: all leaves + proof ms',
    ],
    lookupRows,
  );
  printTable(
    'Append at the last size, AppendCertificateCommand (one transaction, signed checkpoint)',
    ['log size n', 'appends', 'p50 ms', 'p99 ms', 'before: root from every leaf hash, ms'],
    appendRows,
  );
  printTable(
    'Export, GET /v1/audit/export?format=jsonl, whole log (client in the same process)',
    [
      'records n',
      'records/s',
      'Node CPU µs/record',
      'records per Node CPU-s',
      'MB/s',
      'RSS peak − before, MB',
      'RSS before, MB',
      'live heap+buffers peak − before (GC every 100 ms), MB',
      'baseline: DB read alone, records/s',
      'bytes/record',
    ],
    exportRows,
  );
  agent.destroy();
  await app.close();
  await infra.stop();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
