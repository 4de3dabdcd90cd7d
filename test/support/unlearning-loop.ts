import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '@lethe/local-infra';
import { Topics } from '@lethe/shared';
import { namespacedTopic } from '@lethe/shared/infrastructure/kafka';
import type { Dataset } from '@lethe/unlearning';
import { writeNdjsonSource } from '@lethe/unlearning/testing/jobs/job-factories';
import { type AppProcess, startApp, waitForHttp } from './app-process';

/** API keys of the loop's governance service, one per role. */
export const LOOP_KEYS = {
  publisher: 'crm-key-0000000001',
  admin: 'ml-key-00000000001',
  compliance: 'dpo-key-0000000001',
  auditor: 'aud-key-0000000001',
} as const;

export interface LoopOptions {
  readonly databaseUrl: string;
  readonly brokers: readonly string[];
  readonly namespace: string;
  /** A scratch directory: key ring, model store, worker private store, data root. */
  readonly root: string;
  readonly coalesceWindowMs?: number;
  /** LETHE_MAX_REQUESTS_PER_JOB of the governance service (its default when absent). */
  readonly maxRequestsPerJob?: number;
  /** Worker processes in the one consumer group, sharing the private store (default 1). */
  readonly workers?: number;
  readonly logLevel?: string;
}

export interface Loop {
  readonly base: string;
  readonly governance: AppProcess;
  /** The first worker (`workers[0]`). */
  readonly worker: AppProcess;
  readonly workers: readonly AppProcess[];
  /** Starts worker `i` again after it exited (same id, same stores); resolves when it is up. */
  restartWorker(i: number): Promise<AppProcess>;
  readonly dataRoot: string;
  readonly modelStoreDir: string;
  /** JSON over HTTP with a bearer key; the body parsed when it is JSON. */
  call(
    method: string,
    route: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
  /** Raw bytes of a GET. */
  bytes(route: string, key: string): Promise<{ status: number; body: Buffer }>;
  stop(): Promise<void>;
}

/**
 * The whole loop as processes, the way they are deployed: the governance service (its migration
 * step first, then main) and one unlearning worker, on the given PostgreSQL database and Kafka
 * brokers. They share one key ring file (the worker signs certificates with it, the governance
 * verifies them and serves its public keys), the public model store directory and nothing else:
 * the worker's private store and its data root are its own.
 */
export async function startLoop(o: LoopOptions): Promise<Loop> {
  const keyRingFile = path.join(o.root, 'keyring.json');
  const modelStoreDir = path.join(o.root, 'model-store');
  const dataRoot = path.join(o.root, 'data');
  for (const d of [modelStoreDir, dataRoot]) mkdirSync(d, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(
    keyRingFile,
    JSON.stringify({
      keys: [
        {
          kid: 'loop-2026',
          notBefore: '2026-01-01T00:00:00Z',
          privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        },
      ],
    }),
    { mode: 0o600 },
  );
  const level = o.logLevel ?? 'warn';

  const migrate = startApp(
    'governance',
    { DATABASE_URL: o.databaseUrl, LOG_LEVEL: level },
    'migrate',
  );
  const migrated = await migrate.exited;
  if (migrated !== 0) throw new Error(`migration step exited ${migrated}:\n${migrate.output()}`);

  const [govPort, workerPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${govPort}`;
  const governance = startApp('governance', {
    PORT: String(govPort),
    DATABASE_URL: o.databaseUrl,
    KAFKA_BROKERS: o.brokers.join(','),
    LETHE_TOPIC_NAMESPACE: o.namespace,
    LETHE_API_KEYS: [
      `crm:${LOOP_KEYS.publisher}:publisher`,
      `ml:${LOOP_KEYS.admin}:ml-admin`,
      `dpo:${LOOP_KEYS.compliance}:compliance`,
      `aud:${LOOP_KEYS.auditor}:auditor`,
    ].join(','),
    LETHE_SUBJECT_HMAC_KEY: 'loop-subject-hmac-key-0123456789abcdef',
    LETHE_COALESCE_WINDOW_MS: String(o.coalesceWindowMs ?? 200),
    ...(o.maxRequestsPerJob ? { LETHE_MAX_REQUESTS_PER_JOB: String(o.maxRequestsPerJob) } : {}),
    LETHE_SCHEDULER_TICK_MS: '50',
    LETHE_INTAKE_SESSION_TIMEOUT_MS: '6000',
    LETHE_AUDIT_KEYRING_FILE: keyRingFile,
    LETHE_AUDIT_ORIGIN: 'lethe.audit/loop',
    LETHE_MODEL_STORE_DIR: modelStoreDir,
    LETHE_PROGRESS_INTERVAL_MS: '0',
    LOG_LEVEL: level,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  });
  const workerEnv = (i: number, port: number) => ({
    PORT: String(port),
    WORKER_ID: i === 0 ? 'w-loop' : `w-loop-${i}`,
    KAFKA_BROKERS: o.brokers.join(','),
    LETHE_TOPIC_NAMESPACE: o.namespace,
    LETHE_JOBS_SESSION_TIMEOUT_MS: '6000',
    LETHE_AUDIT_KEYRING_FILE: keyRingFile,
    LETHE_MODEL_STORE_DIR: modelStoreDir,
    LETHE_PRIVATE_STORE_DIR: path.join(o.root, 'worker-private'),
    LETHE_DATA_ROOT: dataRoot,
    LETHE_TF_BACKEND: 'wasm',
    LETHE_PROGRESS_INTERVAL_MS: '0',
    LOG_LEVEL: level,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  });
  const workerPorts = [workerPort];
  for (let i = 1; i < (o.workers ?? 1); i++) workerPorts.push(await freePort());
  const workers = workerPorts.map((p, i) => startApp('unlearning-worker', workerEnv(i, p)));
  const stopBoth = () => Promise.all([governance.stop(), ...workers.map((w) => w.stop())]);
  try {
    await Promise.all([
      waitForHttp(`${base}/health`, 180_000, governance),
      ...workers.map((w, i) =>
        waitForHttp(`http://127.0.0.1:${workerPorts[i]}/health`, 180_000, w),
      ),
    ]);
  } catch (e) {
    await stopBoth();
    throw e;
  }

  return {
    base,
    governance,
    get worker() {
      return workers[0]!;
    },
    workers,
    async restartWorker(i) {
      const port = workerPorts[i];
      if (port === undefined) throw new Error(`no worker ${i}`);
      const again = startApp('unlearning-worker', workerEnv(i, port));
      workers[i] = again;
      await waitForHttp(`http://127.0.0.1:${port}/health`, 180_000, again);
      return again;
    },
    dataRoot,
    modelStoreDir,
    async call(method, route, key, body) {
      const res = await fetch(`${base}${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { text };
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async bytes(route, key) {
      const res = await fetch(`${base}${route}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    },
    async stop() {
      await stopBoth();
    },
  };
}

type CallResult = Awaited<ReturnType<Loop['call']>>;

/**
 * Registers `data` as dataset `datasetId` with an NDJSON file source (written as `file` under the
 * worker's data root), then its lineage: one record per row, of subject `subjectOf(row)`, with the
 * row's features and label. Returns both answers for the caller to check.
 */
export async function registerDataset(
  loop: Loop,
  d: {
    readonly datasetId: string;
    readonly name: string;
    readonly file: string;
    readonly data: Dataset;
    readonly subjectOf: (row: number) => string;
  },
): Promise<{ registered: CallResult; added: CallResult }> {
  const source = writeNdjsonSource(loop.dataRoot, d.file, d.data);
  const registered = await loop.call('POST', '/v1/datasets', LOOP_KEYS.admin, {
    datasetId: d.datasetId,
    name: d.name,
    source,
  });
  const { data } = d;
  const records = data.ids.map((recordId, i) => ({
    recordId,
    subjectId: d.subjectOf(i),
    features: Array.from(data.features.subarray(i * data.dim, (i + 1) * data.dim)),
    label: data.labels[i]!,
  }));
  const added = await loop.call(
    'POST',
    `/v1/datasets/${d.datasetId}/records`,
    LOOP_KEYS.admin,
    records,
  );
  return { registered, added };
}

/**
 * A profile small and quick on a CPU: logistic regression, Newton with short LiSSA chains and
 * retrain as the fallback, the certificate's constants loose enough for a few hundred rows.
 */
export const aLoopProfile = (o: {
  readonly batchSize: number;
  readonly seed: number;
  readonly lissa: { readonly chains: number; readonly depth: number };
}) => ({
  architecture: { kind: 'logistic-regression' },
  recipe: { C: 4, l2: 0.05, learningRate: 0.05, epochs: 5, batchSize: o.batchSize, seed: o.seed },
  policy: {
    methods: ['newton', 'retrain'],
    target: { epsilon: 1, delta: 1e-6 },
    newton: { damping: 0.05, lissa: { ...o.lissa, scale: 5, batchSize: 40 } },
    certification: { M: 10, lambdaMin: 0, G: 1, solverTolerance: 0.5 },
  },
});

/** A model as `GET /v1/models/:id` shows it, the fields the set-up reads. */
export interface ModelView {
  readonly currentVersion?: number;
  readonly training?: { status: string; jobId: string } | null;
}

/**
 * Registers model `modelId` on `datasetIds` with `profile`, which starts its training job, and
 * waits until version 1 is there or the training failed. Returns the registration's answer and
 * the model as last read, for the caller to check.
 */
export async function trainFirstVersion(
  loop: Loop,
  m: {
    readonly modelId: string;
    readonly name: string;
    readonly datasetIds: readonly string[];
    readonly profile: unknown;
    readonly timeoutMs?: number;
    readonly everyMs?: number;
  },
): Promise<{ registered: CallResult; model: ModelView }> {
  const registered = await loop.call('POST', '/v1/models', LOOP_KEYS.admin, {
    modelId: m.modelId,
    name: m.name,
    training: { datasetIds: [...m.datasetIds] },
    profile: m.profile,
  });
  if (registered.status !== 201) return { registered, model: {} };
  const model = await pollUntil(
    'version 1',
    async () =>
      (await loop.call('GET', `/v1/models/${m.modelId}`, LOOP_KEYS.admin)).body as ModelView,
    (v) => v.currentVersion === 1 || v.training?.status === 'failed',
    m.timeoutMs ?? 180_000,
    m.everyMs ?? 50,
  );
  return { registered, model };
}

/** Polls `read` every `everyMs` until `done` holds; the last value is in the timeout's message. */
export async function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 120_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A deletion request as its publisher sends it (CloudEvents 1.0, lethe.deletion.requested.v1). */
export const deletionEvent = (id: string, subjectId: string, datasetIds: readonly string[]) => ({
  specversion: '1.0',
  id,
  source: 'urn:lethe:app:crm',
  type: 'lethe.deletion.requested.v1',
  subject: subjectId,
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  data: { subjectId, scope: { datasetIds: [...datasetIds] }, legalBasis: 'gdpr-art-17' },
});

/**
 * The progress stages the worker published for one job, read from the results topic itself
 * (from its beginning, under a fresh consumer group) up to the job's terminal result. The topic is
 * keyed by model, so a job's progress precedes its terminal result in one partition: once the
 * terminal result is read, every stage the worker sent is in the set. This is the worker's own
 * record; the governance may coalesce superseded progress, and a poller may miss a short stage.
 */
export async function publishedStages(o: {
  readonly brokers: readonly string[];
  readonly namespace: string;
  readonly jobId: string;
  readonly timeoutMs?: number;
}): Promise<ReadonlySet<string>> {
  const kafka = new Kafka({
    clientId: `${o.namespace}stages`,
    brokers: [...o.brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `${o.namespace}stages-${randomUUID()}` });
  const stages = new Set<string>();
  try {
    await consumer.connect();
    await consumer.subscribe({
      topic: namespacedTopic(o.namespace, Topics.unlearningResults),
      fromBeginning: true,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no terminal result for job ${o.jobId} on the results topic`)),
        o.timeoutMs ?? 60_000,
      );
      consumer
        .run({
          eachMessage: ({ message }) => {
            const data = (
              JSON.parse(message.value?.toString('utf8') ?? '{}') as {
                data?: { jobId?: string; kind?: string; stage?: string };
              }
            ).data;
            if (data?.jobId !== o.jobId) return Promise.resolve();
            if (data.kind === 'progress' && data.stage) stages.add(data.stage);
            if (data.kind !== 'progress' && data.kind !== 'started') {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .catch((e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return stages;
}
