import { z } from 'zod';
import { env, loadConfig } from '@lethe/shared/config';

/** Every environment variable the unlearning worker reads. Validated once, at boot. */
export const workerConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Health endpoint port. */
  PORT: env.port(3001),
  LOG_LEVEL: env.logLevel(),
  /**
   * Brokers of lethe.unlearning-jobs.v1 / lethe.unlearning-results.v1. Required in production;
   * elsewhere, unset means no job consumer (the worker only serves /health) unless
   * LETHE_LOCAL_INFRA starts a local broker.
   */
  KAFKA_BROKERS: env.csv().optional(),
  /** Development only (refused in production): start a local Kafka broker when KAFKA_BROKERS is unset. */
  LETHE_LOCAL_INFRA: env.bool(false),
  KAFKA_CLIENT_ID: z.string().min(1).default('lethe-unlearning-worker'),
  LETHE_TOPIC_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9._-]*$/)
    .default(''),
  /** Consumer group of every worker instance (namespaced by LETHE_TOPIC_NAMESPACE). */
  LETHE_JOBS_GROUP_ID: z.string().min(1).default('lethe-unlearning-workers'),
  /** How soon a dead worker's partitions (models) move to another instance. */
  LETHE_JOBS_SESSION_TIMEOUT_MS: env.int(30_000, 6000),
  /** Partitions (models) this instance works on at once; one job per model at a time. */
  LETHE_JOBS_CONCURRENCY: env.int(1, 1),
  /** auto: tfjs-node-gpu, then tfjs-node, then wasm; or force one. */
  LETHE_TF_BACKEND: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  WORKER_ID: z.string().min(1).default(`worker-${process.pid}`),
  /** Released model versions (content-addressed weights + metadata), shared with the governance. */
  LETHE_MODEL_STORE_DIR: z.string().min(1).default('.data/model-store'),
  /**
   * PRIVATE store of the worker: noise-free chain states and the job journal. Never served, never
   * shared; must not overlap LETHE_MODEL_STORE_DIR.
   */
  LETHE_PRIVATE_STORE_DIR: z.string().min(1).default('.data/worker-private'),
  /** Root of the dataset files that registered file sources name (paths are confined to it). */
  LETHE_DATA_ROOT: z.string().min(1).default('.data/datasets'),
  /** The signing key ring (JSON), or a file holding it (@lethe/audit keyRingFromEnv). */
  LETHE_AUDIT_KEYRING: z.string().min(1).optional(),
  LETHE_AUDIT_KEYRING_FILE: z.string().min(1).optional(),
  /** Smallest interval between two progress results of one job. */
  LETHE_PROGRESS_INTERVAL_MS: env.int(500, 0),
});

/** Rules across variables; they report together with the schema's problems. */
const crossChecks = (e: Readonly<Record<string, string | undefined>>): string[] => {
  const production = e.NODE_ENV === 'production';
  const local = e.LETHE_LOCAL_INFRA === 'true' || e.LETHE_LOCAL_INFRA === '1';
  const problems: string[] = [];
  if (production && local) problems.push('LETHE_LOCAL_INFRA: not allowed in production');
  if (production && !e.KAFKA_BROKERS) problems.push('KAFKA_BROKERS: required in production');
  const consumes = Boolean(e.KAFKA_BROKERS) || local || production;
  if (consumes && !e.LETHE_AUDIT_KEYRING && !e.LETHE_AUDIT_KEYRING_FILE) {
    problems.push(
      'LETHE_AUDIT_KEYRING or LETHE_AUDIT_KEYRING_FILE: required to sign certificates when jobs are consumed',
    );
  }
  if (e.LETHE_AUDIT_KEYRING && e.LETHE_AUDIT_KEYRING_FILE) {
    problems.push(
      'LETHE_AUDIT_KEYRING_FILE: set LETHE_AUDIT_KEYRING or LETHE_AUDIT_KEYRING_FILE, not both',
    );
  }
  return problems;
};

export type WorkerConfig = z.output<typeof workerConfigSchema>;

export const loadWorkerConfig = (
  source: Record<string, string | undefined> = process.env,
): WorkerConfig => loadConfig('unlearning-worker', workerConfigSchema, source, crossChecks);
