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
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import os from 'node:os';
import { createDatabase, runMigrations, withDatabase, withPgClient } from '@lethe/local-infra';
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
  inclusionProof,
  rangeNodes,
  planRanges,
  inclusionRanges,
  rootFromLeafHashes,
  type JoseAuditSigner,
} from '@lethe/audit';
import { aNoOpCertificate } from '@lethe/audit/testing/certificate.factory';
import { printTable, startBenchInfra } from '../support/infra';
import { MerkleBlockIndex } from './block-index.baseline';
import type { ClientResult, ClientTask } from './http-client';
import { emptySeedState, seedLog, type SeedState } from './seed-log';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SIZES = (arg('sizes') ?? '10000,100000').split(',').map(Number);
const LOOKUPS = Number(arg('lookups') ?? 1000);
const TOKEN = 'bench-auditor-key-000000';
/** Reuse (or create) this database between runs: seeding 10^6 takes minutes. */
const DATABASE = arg('database');
const APPENDS = Number(arg('appends') ?? 50);
const PROOFS = arg('proofs') !== '0';
/** Lookups made (on other random ids) before the measured ones and not counted: JIT, pool, caches. */
const WARMUP = Number(arg('warmup') ?? 0);
/** --export 0 skips the export stage (lookups only). */
const EXPORT = arg('export') !== '0';
/** Write V8 CPU profiles of the service during the lookups and the export into this folder. */
const PROFILE = arg('profile');

/** Runs `fn` under the V8 CPU profiler when --profile is given (the service's process only). */
async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (PROFILE === undefined) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(PROFILE, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

const certId = (i: number) => `cert-${String(i).padStart(11, '0')}`;
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** The HTTP client runs in its own process (http-client.ts): the service's CPU is measured alone. */
function startClient(): { ask(task: ClientTask): Promise<ClientResult>; stop(): void } {
  const child: ChildProcess = fork(join(__dirname, 'http-client.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
  });
  return {
    ask: (task) =>
      new Promise((resolve, reject) => {
        child.once('message', (m: ClientResult) =>
          m.kind === 'error' ? reject(new Error(m.message)) : resolve(m),
        );
        child.send(task);
      }),
    stop: () => child.disconnect(),
  };
}

/**
 * The bench's signing key, from a fixed seed (a bench key, published with the code), so that a
 * database seeded by one run (--database) verifies in the next one.
 */
function benchKey(): { kid: string; privateKey: KeyObject; publicKey: KeyObject } {
  const seed = createHash('sha256').update('lethe bench audit key 1').digest();
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { kid: 'bench-1', privateKey, publicKey: createPublicKey(privateKey) };
}

/** The seeder's state of a log already in the database: size, chain head, compact range. */
async function seedStateOf(
  store: PostgresAuditLogStore,
  dataSource: DataSource,
): Promise<SeedState> {
  const [tail] = await dataSource.query<{ leaf_index: string; chain_hash: Buffer }[]>(
    'SELECT leaf_index, chain_hash FROM audit_entries ORDER BY leaf_index DESC LIMIT 1',
  );
  if (!tail) return emptySeedState();
  const size = Number(tail.leaf_index) + 1;
  const refs = rangeNodes(0, size);
  const hashes = await store.nodeHashes(refs);
  return {
    size,
    chainHead: tail.chain_hash,
    frontier: refs.map((r, i) => ({ size: 2 ** r.level, hash: hashes[i]! })),
  };
}

/** A fresh database, or with --database NAME the one of that name, created on first use. */
async function benchDatabase(
  infra: Awaited<ReturnType<typeof startBenchInfra>>,
  name: string | undefined,
): Promise<string> {
  if (name === undefined) return infra.freshDatabase('audit_export');
  const exists = await withPgClient(infra.postgres.url, (c) =>
    c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]),
  );
  if (exists.rowCount) return withDatabase(infra.postgres.url, name);
  const url = await createDatabase(infra.postgres.url, name);
  await runMigrations(url);
  return url;
}

async function main(): Promise<void> {
  const infra = await startBenchInfra({ kafka: false });
  const url = await benchDatabase(infra, DATABASE);
  const key = benchKey();
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
  const client = startClient();
  const state = await seedStateOf(store, dataSource);
  if (state.size > 0) process.stderr.write(`reusing the log of ${state.size} entries in ${url}\n`);
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  const lookupRows: (string | number)[][] = [];
  const exportRows: (string | number)[][] = [];

  for (const target of SIZES) {
    const seedStart = performance.now();
    await seedLog(
      dataSource,
      state,
      target,
      key,
      signer,
      (i) => new Date(t0 + i),
      (s) => {
        if (s % 100_000 === 0) process.stderr.write(`  seeded ${s}\n`);
      },
    );
    const seedS = (performance.now() - seedStart) / 1000;
    // A reused database may hold more (a previous run's appends): measure the log as it is.
    const n = state.size;
    if (seedS > 1) await dataSource.query('ANALYZE audit_entries');
    process.stderr.write(`n=${n}: seeded in ${seedS.toFixed(1)} s\n`);

    // Lookup: the first one after the stage, then p50/p99 on random ids, the client in its own
    // process; the service's Node CPU per lookup from process.cpuUsage() in this process.
    const c0 = performance.now();
    await client.ask({ kind: 'lookups', port, token: TOKEN, ids: [certId(Math.floor(n / 2))] });
    const coldMs = performance.now() - c0;
    if (WARMUP > 0) {
      const warm = Array.from({ length: WARMUP }, () => certId(Math.floor(Math.random() * n)));
      await client.ask({ kind: 'lookups', port, token: TOKEN, ids: warm });
    }
    const ids = Array.from({ length: LOOKUPS }, () => certId(Math.floor(Math.random() * n)));
    const cpu0 = process.cpuUsage();
    const looked = await profiled(`lookups-${n}`, () =>
      client.ask({ kind: 'lookups', port, token: TOKEN, ids }),
    );
    const cpu = process.cpuUsage(cpu0);
    if (looked.kind !== 'lookups') throw new Error('client: no lookups');
    const lookupCpuMs = (cpu.user + cpu.system) / 1000 / LOOKUPS;
    const clientCpuMs = looked.cpuMs / LOOKUPS;
    process.stderr.write(
      `n=${n}: service CPU per lookup, user ${(cpu.user / 1000 / LOOKUPS).toFixed(2)} ms + system ${(cpu.system / 1000 / LOOKUPS).toFixed(2)} ms (load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})\n`,
    );
    const times = looked.times.sort((a, b) => a - b);
    // --proofs 0 skips the in-process comparisons (the stored nodes against the block index of
    // ADR 0016 and ADR 0008's O(n) path) and the EXPLAIN output: they measure no route.
    const proofCols = ['skipped', 'skipped', 'skipped', 'skipped'];
    if (PROOFS) {
      // The proof alone, in process, side by side on the same random leaves: the stored subtree
      // hashes (now) and the in-memory block index the route used before (cold fill, then warm).
      const latest = (await store.latestCheckpoint())!;
      const nodes = new MerkleNodeIndex(store);
      const blocks = new MerkleBlockIndex(store);
      let c0 = performance.now();
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
          [`certificate:${certId(leaf)}`],
        ],
        [
          'latest checkpoint',
          'SELECT * FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1',
          [],
        ],
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
      proofCols.splice(
        0,
        4,
        `${pct(proofNow, 50).toFixed(2)} / ${pct(proofNow, 99).toFixed(2)}`,
        `${pct(proofBlock, 50).toFixed(2)} / ${pct(proofBlock, 99).toFixed(2)}`,
        blockColdMs.toFixed(0),
        (baseline[Math.floor(baseline.length / 2)] ?? NaN).toFixed(0),
      );
    }
    lookupRows.push([
      n,
      pct(times, 50).toFixed(2),
      pct(times, 99).toFixed(2),
      lookupCpuMs.toFixed(2),
      clientCpuMs.toFixed(2),
      coldMs.toFixed(0),
      ...proofCols,
    ]);

    if (!EXPORT) {
      process.stderr.write(`n=${n}: lookup ${JSON.stringify(lookupRows.at(-1))}\n`);
      continue;
    }
    // Export of the whole log, RSS sampled; then the database read alone.
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const ecpu0 = process.cpuUsage();
    const exp = await profiled(`export-${n}`, () =>
      client.ask({ kind: 'export', port, token: TOKEN, path: '/v1/audit/export?format=jsonl' }),
    );
    const ecpu = process.cpuUsage(ecpu0);
    clearInterval(sampler);
    if (exp.kind !== 'export' || exp.status !== 200 || exp.lines !== n) {
      throw new Error(`export: ${JSON.stringify(exp)}`);
    }
    const exportS = exp.seconds;
    const exportCpuUs = (ecpu.user + ecpu.system) / n;
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
    // This pass also hashes the content (in the client): two trees' exports compared byte for byte.
    const again = await client.ask({
      kind: 'export',
      port,
      token: TOKEN,
      path: '/v1/audit/export?format=jsonl',
      sha256: true,
    });
    clearInterval(gcSampler);
    if (again.kind === 'export') {
      process.stderr.write(
        `n=${n}: export content ${again.bytes} bytes, SHA-256 ${again.sha256}\n`,
      );
    }
    const r0 = performance.now();
    // Each side's own batch read (blockRows before, exportBatch since 2026-11-30).
    const reader = store as unknown as {
      exportBatch?: (from: number, to: number, r: object, nodes: []) => Promise<unknown>;
      blockRows?: (from: number, to: number, r: object) => Promise<unknown>;
    };
    for (let from = 0; from < n; from += 4096) {
      const to = Math.min(n, from + 4096);
      const all = { from: null, to: null };
      await (reader.exportBatch?.(from, to, all, []) ?? reader.blockRows?.(from, to, all));
    }
    const readS = (performance.now() - r0) / 1000;
    exportRows.push([
      n,
      Math.round(n / exportS),
      exportCpuUs.toFixed(1),
      ((exp.cpuMs * 1000) / n).toFixed(1),
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
  if (APPENDS > 0) {
    const n = state.size;
    const bus = app.get(CommandBus);
    const at: number[] = [];
    for (let k = 0; k < APPENDS; k++) {
      // Ids in the seeder's scheme (leaf i holds cert-i), so that a reused database stays usable.
      const jws = await signer.signCertificate(
        aNoOpCertificate({ certificateId: certId(n + k), issuedAt: new Date().toISOString() }),
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
      'service Node CPU ms/lookup',
      'client CPU ms/lookup',
      'first lookup ms',
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
    'Export, GET /v1/audit/export?format=jsonl, whole log (client in another process)',
    [
      'records n',
      'records/s',
      'service Node CPU µs/record',
      'client CPU µs/record',
      'records per service CPU-s',
      'MB/s',
      'RSS peak − before, MB',
      'RSS before, MB',
      'live heap+buffers peak − before (GC every 100 ms), MB',
      'baseline: DB read alone, records/s',
      'bytes/record',
    ],
    exportRows,
  );
  client.stop();
  await app.close();
  await infra.stop();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
