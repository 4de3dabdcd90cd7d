import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@lethe/local-infra';
import { ROOT } from './support/app-process';

/**
 * The README's demo command, as a user runs it: build, boot the governance service and the worker
 * on the embedded defaults, train the models, send deletion requests over HTTP and Kafka, print
 * the table, export and verify, exit 0.
 */
describe('npm run demo -- --once', () => {
  it('boots on embedded PostgreSQL and a local Kafka broker, certifies every request and prints the table', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      LETHE_DEMO_WORKER_PORT: String(await freePort()),
    };
    // No external database or broker: the demo sets LETHE_LOCAL_INFRA=1 and starts both.
    delete env.DATABASE_URL;
    delete env.KAFKA_BROKERS;
    const child = spawn('npm', ['run', 'demo', '--', '--once'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`demo exited ${String(code)}:\n${out.slice(-5000)}`);

    expect(out).toContain(`GET http://127.0.0.1:${port}/health → {"status":"ok"`);
    expect(out).toContain('governance: postgres ready');
    expect(out).toContain('governance: governance service listening');
    expect(out).toMatch(/Apache Kafka [\d.]+ \(KRaft\) started/);
    expect(out).toMatch(/mnist-network-\d+ v1 trained in \d+ s; held-out accuracy 0\.\d{3}/);
    expect(out).toMatch(
      /PUT \/v1\/models\/mnist-network-\d+\/policy: accuracy floor 0\.5 \(revision 1\)/,
    );

    // The table: a header and one row per request and model, every request of the run in it.
    const table = out.slice(out.indexOf('| request'));
    const rows = table
      .split('\n')
      .filter((l) => /^\| \d+ (http|kafka) /.test(l))
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(new Set(rows.map((r) => r[1]))).toEqual(
      new Set(['1 http', '2 kafka', '3 http', '4 kafka']),
    );
    for (const r of rows) {
      // model, method, acc before, acc after, time, ε, δ, σ, Δ, guarantee
      expect(r[3]).toMatch(/^(newton-lissa|convex-newton|sisa-shard|retrain|no-op)$/);
      // Accuracy of the released weights on held-out digits (an ensemble's may be unreadable: –).
      const accuracy = r[3] === 'sisa-shard' ? /^(0\.\d{3}|1\.000|–)$/ : /^(0\.\d{3}|1\.000)$/;
      expect(r[4]).toMatch(accuracy);
      expect(r[5]).toMatch(accuracy);
      expect(r[11]).toMatch(/^(certified|exact|none)$/);
      // An exact certificate states ε = δ = 0 and no σ; a certified one states all four.
      if (r[11] === 'exact') expect([r[7], r[8], r[9], r[10]]).toEqual(['0', '0', '–', '–']);
      if (r[11] === 'certified') for (const c of [r[7], r[8], r[9], r[10]]) expect(c).not.toBe('–');
    }
    // Every method the engine offers shows up: the paper's network (a Newton step or, below its
    // accuracy floor, a retrain), the convex model and the sharded ensemble.
    const methods = new Set(rows.map((r) => r[3]));
    expect(methods).toContain('convex-newton');
    expect(methods).toContain('sisa-shard');
    expect(methods.has('newton-lissa') || methods.has('retrain')).toBe(true);

    // The audit export and its manifest, written and verified offline by `lethe verify`.
    expect(out).toMatch(/wrote \.data\/demo\/audit-export\.jsonl \(\d+ records/);
    expect(out).toContain('lethe verify: every signature, the hash chain');
    const exported = readFileSync(join(ROOT, '.data', 'demo', 'audit-export.jsonl'), 'utf8');
    expect(exported.trim().split('\n').length).toBeGreaterThanOrEqual(rows.length);
    expect(existsSync(join(ROOT, '.data', 'demo', 'audit-export.manifest.json'))).toBe(true);
    expect(out).toMatch(/Done\n {6}in \d+ s: \d+ certificates for 4 requests/);
  }, 1_200_000);
});
