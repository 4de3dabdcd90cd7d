#!/usr/bin/env node
// `npm run demo`: boots the governance service with LETHE_LOCAL_INFRA=1 (a real PostgreSQL server
// under .data/ and a local Kafka broker, migrated at boot, no set-up), waits until GET /health
// answers, prints it, and keeps serving until Ctrl-C (or exits at once with --once).
// Demo credentials only: never use them anywhere else.
const { spawn } = require('node:child_process');
const path = require('node:path');

const once = process.argv.includes('--once');
const port = process.env.PORT ?? '3000';
const root = path.join(__dirname, '..');
const env = {
  ...process.env,
  PORT: port,
  LETHE_LOCAL_INFRA: '1',
  LETHE_API_KEYS:
    process.env.LETHE_API_KEYS ??
    'demo-publisher:demo-publisher-key-0001:publisher,demo-dpo:demo-compliance-key-01:compliance+auditor,demo-admin:demo-admin-key-000001:admin',
  LETHE_SUBJECT_HMAC_KEY:
    process.env.LETHE_SUBJECT_HMAC_KEY ?? 'demo-only-subject-hmac-key-0123456789',
};

const child = spawn(
  process.execPath,
  ['-r', './scripts/register-aliases.js', 'dist/apps/governance/src/main.js'],
  {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
let stoppedByUs = false;
child.on('exit', (code, signal) => {
  // After --once stops the service, a SIGTERM ending (also re-raised by the infra's own shutdown
  // hooks: 143) is the expected end, not a failure.
  const endedByOurStop = stoppedByUs && (code === 0 || code === 143 || signal === 'SIGTERM');
  process.exit(endedByOurStop ? 0 : (code ?? 1));
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));

// A first run on a fresh machine also downloads the Kafka broker from Maven Central: be patient.
const timeoutS = Number(process.env.LETHE_DEMO_TIMEOUT_S ?? 600);

async function waitForHealth() {
  const url = `http://127.0.0.1:${port}/health`;
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return { url, body: await res.json() };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no answer from ${url} within ${timeoutS} s (LETHE_DEMO_TIMEOUT_S)`);
}

waitForHealth().then(
  ({ url, body }) => {
    console.log(`\nGET ${url} → ${JSON.stringify(body)}`);
    console.log(`OpenAPI: http://127.0.0.1:${port}/docs   (demo admin key: demo-admin-key-000001)`);
    if (once) {
      stoppedByUs = true;
      child.kill('SIGTERM');
    } else console.log('Serving; Ctrl-C stops the service and the embedded database.');
  },
  (e) => {
    console.error(e.message);
    child.kill('SIGTERM');
    process.exitCode = 1;
  },
);
