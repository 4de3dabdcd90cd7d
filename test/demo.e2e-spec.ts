import { spawn } from 'node:child_process';
import { freePort } from '@lethe/local-infra';
import { ROOT } from './support/app-process';

/** The README's demo command, as a user runs it: build, boot on the embedded defaults, answer /health. */
describe('npm run demo -- --once', () => {
  it('builds, boots governance on embedded PostgreSQL and a local Kafka broker, and answers /health', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
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
    if (code !== 0) throw new Error(`demo exited ${String(code)}:\n${out.slice(-3000)}`);
    expect(out).toContain(`GET http://127.0.0.1:${port}/health → {"status":"ok"`);
    expect(out).toMatch(/"msg":"postgres ready"/);
    expect(out).toMatch(/"msg":"governance service listening"/);
    expect(out).toMatch(/Apache Kafka [\d.]+ \(KRaft\) started/);
  }, 600_000);
});
