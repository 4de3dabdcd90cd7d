import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@lethe/local-infra';
import { ApiKeyRegistry, AuthGuard, ProblemDetailsFilter } from '@lethe/shared/infrastructure/http';
import type { INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CommandBus, CqrsModule } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AUDIT_SIGNER,
  AppendCertificateCommand,
  AppendOutcomeCommand,
  AuditModule,
  type JoseAuditSigner,
  KeyRing,
  generateEd25519,
  joseExportVerifier,
  verifyExport,
  type AuditPdfReport,
  type ExportManifestFile,
  type ExportVerification,
} from '../src';
import {
  aCertifiedCertificate,
  anExactCertificate,
  subjectRefFor,
} from '../src/testing/certificate.factory';

/**
 * The auditor export end to end on a real PostgreSQL, through the real HTTP routes: export →
 * manifest → offline verify (the same code `lethe verify` runs), across a key rotation; one byte
 * changed anywhere → verify names that line; bad input → coded problem+json; and the CLI itself.
 */
const AUDITOR = 'auditor-key-0123456789';
const PUBLISHER = 'publisher-key-0123456789';
const ROOT = path.join(__dirname, '..', '..', '..');
// Embedded PostgreSQL, a key rotation, 400 tampered verifications and CLI processes on 2 cores.
jest.setTimeout(600_000);

/** mulberry32: a small seeded PRNG, so the tamper positions are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const verify = (content: Buffer | string, manifest: unknown): Promise<ExportVerification> =>
  verifyExport(Readable.from([Buffer.from(content)]), manifest, joseExportVerifier);

async function build(
  db: TestDatabase,
  clock: { now: Date },
  pdfReport?: AuditPdfReport,
): Promise<{ app: TestingModule; http: INestApplication }> {
  const { privateKey, publicKey } = generateEd25519();
  const app = await Test.createTestingModule({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRoot({ type: 'postgres', url: db.url, synchronize: false }),
      AuditModule.forRoot({
        origin: 'lethe.audit/export-test',
        now: () => clock.now,
        keyRing: KeyRing.of([
          {
            kid: 'k1',
            notBefore: new Date('2026-01-01T00:00:00Z'),
            notAfter: null,
            privateKey,
            publicKey,
          },
        ]),
        ...(pdfReport ? { pdfReport } : {}),
      }),
    ],
    providers: [
      {
        provide: ApiKeyRegistry,
        useValue: new ApiKeyRegistry([
          { name: 'auditor', key: AUDITOR, roles: ['auditor'] },
          { name: 'crm', key: PUBLISHER, roles: ['publisher'] },
        ]),
      },
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    ],
  }).compile();
  const http = app.createNestApplication();
  await http.init();
  return { app, http };
}

describe('audit export (HTTP, real PostgreSQL) and lethe verify', () => {
  let db: TestDatabase;
  let app: TestingModule;
  let http: INestApplication;
  const clock = { now: new Date('2026-03-01T00:00:00Z') };
  const certificateIds: string[] = [];
  const auth = { Authorization: `Bearer ${AUDITOR}` };

  beforeAll(async () => {
    db = await createTestDatabase('audit_export');
    ({ app, http } = await build(db, clock));
    const signer = app.get<JoseAuditSigner>(AUDIT_SIGNER);
    const commands = app.get(CommandBus);
    // Six entries under key k1 (one an outcome without a model update) …
    for (let i = 0; i < 5; i++) {
      const cert = (i % 2 === 0 ? aCertifiedCertificate : anExactCertificate)({
        issuedAt: `2026-02-0${i + 1}T10:00:00Z`,
      });
      certificateIds.push(cert.certificateId);
      await commands.execute(new AppendCertificateCommand(await signer.signCertificate(cert)));
    }
    await commands.execute(
      new AppendOutcomeCommand(
        'req-no-records-1',
        'no-records',
        ['req-no-records-1'],
        [subjectRefFor('user-7')],
        new Date('2026-02-20T00:00:00Z'),
      ),
    );
    // … then the key rotates, and six more certificates are signed by k2.
    signer.rotate(
      { kid: 'k2', privateKey: generateEd25519().privateKey },
      new Date('2026-04-01T00:00:00Z'),
    );
    clock.now = new Date('2026-05-01T00:00:00Z');
    for (let i = 0; i < 6; i++) {
      const cert = aCertifiedCertificate({ issuedAt: `2026-04-1${i}T10:00:00Z` });
      certificateIds.push(cert.certificateId);
      await commands.execute(new AppendCertificateCommand(await signer.signCertificate(cert)));
    }
  });

  afterAll(async () => {
    await http?.close();
    await db?.drop();
  });

  async function fetchExport(
    query: string,
  ): Promise<{ content: string; manifest: ExportManifestFile; treeSize: string }> {
    const res = await request(http.getHttpServer())
      .get(`/v1/audit/export?${query}`)
      .set(auth)
      .buffer(true)
      .parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => done(null, text));
      })
      .expect(200);
    const treeSize = res.headers['lethe-export-tree-size'] as string;
    const manifest = await request(http.getHttpServer())
      .get(res.headers['lethe-export-manifest'] as string)
      .set(auth)
      .expect(200);
    return { content: res.body as string, manifest: manifest.body as ExportManifestFile, treeSize };
  }

  it('exports the whole log as JSONL with a signed manifest, and it verifies across the key rotation', async () => {
    const { content, manifest, treeSize } = await fetchExport('format=jsonl');
    expect(treeSize).toBe('12');
    const lines = content.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    const first = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(first).toMatchObject({
      leafIndex: 0,
      certificateId: certificateIds[0],
      kind: 'certificate',
    });
    expect(first.inclusionProof).toMatchObject({ treeSize: 12 });
    expect(JSON.parse(lines[5] as string)).toMatchObject({
      kind: 'outcome',
      certificateId: null,
      jws: null,
    });
    expect(manifest.body).toMatchObject({
      recordCount: 12,
      treeSize: 12,
      firstLeafIndex: 0,
      lastLeafIndex: 11,
      format: 'jsonl',
      contentBytes: Buffer.byteLength(content),
    });
    expect(manifest.body.jwks.keys.map((k) => [k.kid, k.notAfter])).toEqual([
      ['k1', '2026-04-01T00:00:00.000Z'],
      ['k2', null],
    ]);
    const result = await verify(content, manifest);
    expect(result).toMatchObject({
      ok: true,
      summary: { records: 12, certificates: 11, outcomes: 1, certificateKids: { k1: 5, k2: 6 } },
    });
  });

  it('exports CSV with its documented header, and it verifies', async () => {
    const { content, manifest } = await fetchExport('format=csv');
    expect(content.split('\n')[0]).toBe(
      'leaf_index,kind,certificate_id,jws,outcome,leaf_hash,prev_hash,chain_hash,tree_size,inclusion_proof',
    );
    expect(await verify(content, manifest)).toMatchObject({ ok: true, summary: { records: 12 } });
  });

  it('exports a time range: the entries appended in [from, to), proofs still against the whole tree', async () => {
    const times = await app
      .get(DataSource)
      .query<{ t: string }[]>(
        'SELECT to_char(appended_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS t FROM audit_entries ORDER BY leaf_index',
      );
    const from = times[3]?.t as string;
    const to = times[8]?.t as string;
    expect(Date.parse(from)).toBeLessThan(Date.parse(to));
    const { content, manifest } = await fetchExport(`from=${from}&to=${to}&format=jsonl`);
    const indexes = content
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { leafIndex: number }).leafIndex);
    expect(indexes).toEqual([3, 4, 5, 6, 7]);
    expect(manifest.body).toMatchObject({
      recordCount: 5,
      treeSize: 12,
      firstLeafIndex: 3,
      lastLeafIndex: 7,
    });
    expect(await verify(content, manifest)).toMatchObject({ ok: true });
  });

  it('pins the tree size: an export cut at 12 stays the same after more appends', async () => {
    const before = await fetchExport('format=jsonl');
    const signer = app.get<JoseAuditSigner>(AUDIT_SIGNER);
    const extra = aCertifiedCertificate({ issuedAt: '2026-04-30T10:00:00Z' });
    await app
      .get(CommandBus)
      .execute(new AppendCertificateCommand(await signer.signCertificate(extra)));
    const pinned = await fetchExport('format=jsonl&treeSize=12');
    expect(pinned.content).toBe(before.content);
    expect(pinned.manifest.body.contentSha256).toBe(before.manifest.body.contentSha256);
    const latest = await fetchExport('format=jsonl');
    expect(latest.treeSize).toBe('13');
    expect(await verify(latest.content, latest.manifest)).toMatchObject({
      ok: true,
      summary: { records: 13 },
    });
    // An export against the old manifest fails: the newer content is not what it signed.
    expect(await verify(latest.content, before.manifest)).toMatchObject({ ok: false });
  });

  it('names the record when one byte is changed anywhere (400 seeded positions, JSONL and CSV)', async () => {
    const random = seeded(20261129);
    for (const format of ['jsonl', 'csv'] as const) {
      const { content, manifest } = await fetchExport(`format=${format}&treeSize=12`);
      const bytes = Buffer.from(content);
      expect((await verify(bytes, manifest)).ok).toBe(true);
      for (let k = 0; k < 200; k++) {
        const at = Math.floor(random() * bytes.length);
        const changed = Buffer.from(bytes);
        changed[at] = (bytes[at]! + 1 + Math.floor(random() * 255)) % 256;
        const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
        const result = await verify(changed, manifest);
        if (result.ok)
          throw new Error(`${format}: byte ${at} changed and the export still verifies`);
        // The line the byte is in (for CSV, line 1 is the header).
        expect({ format, at, line: result.problem.line }).toEqual({ format, at, line });
      }
    }
    // Most random bytes fall inside a JWS, so which check catches each depends on the run's keys
    // and ids: the next test aims a change at each field and names the check that must catch it.
  });

  it('names the check a change aimed at one field breaks (JSONL, one byte each)', async () => {
    const { content, manifest } = await fetchExport('format=jsonl&treeSize=12');
    const lines = content.split('\n');
    const line = 4; // 1-based: leaf 3, neither the first nor the last
    const target = lines[line - 1] as string;
    /** Replaces the byte `offset` characters into the first match of `marker` on the line. */
    const changed = (marker: string, offset: number, to: (c: string) => string): string => {
      const at = target.indexOf(marker);
      expect(at).toBeGreaterThanOrEqual(0);
      const i = at + marker.length + offset;
      const edited = target.slice(0, i) + to(target.charAt(i)) + target.slice(i + 1);
      expect(edited).not.toBe(target);
      return [...lines.slice(0, line - 1), edited, ...lines.slice(line)].join('\n');
    };
    const otherHex = (c: string): string => (c === '0' ? '1' : '0');
    const cases: [string, string][] = [
      [changed('', 0, () => '['), 'line-json'],
      [changed('"leafIndex":', 0, () => '9'), 'leaf-order'],
      [changed('"treeSize":', 0, () => '9'), 'tree-size'],
      [changed('"leafHash":"', 5, otherHex), 'leaf-hash'],
      [changed('"jws":"', 3, (c) => (c === 'A' ? 'B' : 'A')), 'leaf-hash'],
      [changed('"chainHash":"', 5, otherHex), 'chain-hash'],
      [changed('"prevHash":"', 5, otherHex), 'chain-hash'],
      [changed('"hashes":["', 5, otherHex), 'inclusion-proof'],
      [changed('"kind":"', 0, () => 'x'), 'record-shape'],
    ];
    const seen = new Set<string>();
    for (const [edited, check] of cases) {
      const result = await verify(edited, manifest);
      expect({ check, result }).toMatchObject({
        check,
        result: { ok: false, problem: { check, line } },
      });
      seen.add(check);
    }
    expect(seen.size).toBe(7);
  });

  it('fails on a record left out, a manifest body edited, and a forged manifest payload', async () => {
    const { content, manifest } = await fetchExport('format=jsonl&treeSize=12');
    const lines = content.split('\n');
    const dropped = [...lines.slice(0, 4), ...lines.slice(5)].join('\n');
    const r1 = await verify(dropped, manifest);
    expect(r1).toMatchObject({
      ok: false,
      problem: { check: 'leaf-order', line: 5, leafIndex: 5 },
    });
    const body = { ...manifest.body, recordCount: 11 };
    const r2 = await verify(content, { jws: manifest.jws, body });
    expect(r2).toMatchObject({ ok: false, problem: { check: 'manifest-file' } });
    const [h, p, s] = manifest.jws.split('.') as [string, string, string];
    const forged = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    forged.recordCount = 11;
    const r3 = await verify(content, {
      jws: `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`,
    });
    expect(r3).toMatchObject({ ok: false, problem: { check: 'manifest-signature' } });
  });

  it('answers bad input with coded problem+json, and the export to auditors only', async () => {
    const server = http.getHttpServer();
    const bad = async (query: string, status: number, code: string) => {
      const res = await request(server).get(`/v1/audit/export${query}`).set(auth).expect(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(JSON.parse(res.text)).toMatchObject({ status, code });
    };
    await bad('?from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z', 400, 'INVALID_EXPORT_REQUEST');
    await bad('?format=xml', 400, 'INVALID_EXPORT_REQUEST');
    await bad('?from=yesterday', 400, 'INVALID_EXPORT_REQUEST');
    await bad('?treeSize=999', 400, 'INVALID_EXPORT_REQUEST');
    await bad('?treeSize=-1', 400, 'INVALID_EXPORT_REQUEST');
    await bad('?format=jsonl&extra=1', 400, 'INVALID_EXPORT_REQUEST');
    await bad('/manifest?format=pdf', 400, 'INVALID_EXPORT_REQUEST');
    await bad('?format=pdf', 501, 'EXPORT_FORMAT_UNAVAILABLE');
    await request(server).get('/v1/audit/export').expect(401);
    await request(server)
      .get('/v1/audit/export')
      .set({ Authorization: `Bearer ${PUBLISHER}` })
      .expect(403);
  });

  it('answers format=pdf through the bound AUDIT_PDF_REPORT provider', async () => {
    const seen: unknown[] = [];
    const pdf = await build(db, clock, async (range, out) => {
      seen.push(range);
      out.end('%PDF-1.7 report\n');
    });
    try {
      const res = await request(pdf.http.getHttpServer())
        .get('/v1/audit/export?format=pdf&from=2026-01-01T00:00:00Z')
        .set(auth)
        .buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(Buffer.from(res.body as Buffer).toString()).toContain('%PDF-1.7 report');
      expect(seen).toEqual([{ from: new Date('2026-01-01T00:00:00Z') }]);
    } finally {
      await pdf.http.close();
    }
  });

  describe('the lethe CLI against this service', () => {
    let dir: string;
    let base: string;
    const lethe = (
      args: string[],
      env: Record<string, string> = {},
    ): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [path.join(ROOT, 'apps/cli/bin/lethe.js'), ...args],
          { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
          (err, stdout, stderr) =>
            resolve({
              code: err ? Number((err as { code?: number }).code ?? 1) : 0,
              stdout,
              stderr,
            }),
        );
      });

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'lethe-cli-'));
      await http.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(http.getHttpServer().address() as AddressInfo).port}`;
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('exports with `lethe export`, verifies with `lethe verify` (exit 0), and names a changed record (exit 1)', async () => {
      const out = path.join(dir, 'audit.jsonl');
      const exported = await lethe(
        [
          'export',
          '--url',
          base,
          '--from',
          '2026-01-01T00:00:00Z',
          '--format',
          'jsonl',
          '--out',
          out,
          '--quiet',
        ],
        { LETHE_TOKEN: AUDITOR },
      );
      expect(exported).toMatchObject({ code: 0 });
      expect(exported.stdout).toContain(`wrote ${out}`);
      const ok = await lethe(['verify', out, '--quiet']);
      expect(ok).toMatchObject({ code: 0 });
      expect(ok.stdout).toMatch(/^OK /);
      expect(ok.stdout).toMatch(/records +13 \(12 certificates, 1 outcomes\)/);

      const lines = readFileSync(out, 'utf8').split('\n');
      const line7 = lines[6] as string;
      const i = line7.indexOf('"jws":"') + 40;
      lines[6] = `${line7.slice(0, i)}${line7[i] === 'A' ? 'B' : 'A'}${line7.slice(i + 1)}`;
      const bad = path.join(dir, 'bad.jsonl');
      writeFileSync(bad, lines.join('\n'));
      const failed = await lethe(['verify', bad, '--manifest', `${out}.manifest.json`]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(
        `FAILED line 7 (leaf 6), certificate ${certificateIds[5]}: leaf-hash`,
      );
    });

    it('has --help everywhere, exit 2 on bad usage, exit 3 when a file or the service is missing', async () => {
      for (const cmd of [[], ['verify'], ['export'], ['request'], ['status']]) {
        const help = await lethe([...cmd, '--help']);
        expect(help.code).toBe(0);
        expect(help.stdout).toContain(`Usage: lethe${cmd.length ? ` ${cmd[0]}` : ''}`);
      }
      expect((await lethe(['frobnicate'])).code).toBe(2);
      expect((await lethe(['export', '--url', base, '--token', AUDITOR])).code).toBe(2); // no --out
      expect((await lethe(['verify', path.join(dir, 'missing.jsonl')])).code).toBe(3);
      const down = await lethe(['status', 'req-1', '--url', 'http://127.0.0.1:1', '--token', 'x']);
      expect(down.code).toBe(3);
      const refused = await lethe([
        'export',
        '--url',
        base,
        '--token',
        PUBLISHER,
        '--out',
        path.join(dir, 'x'),
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('403');
    });
  });
});
