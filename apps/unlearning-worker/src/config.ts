import { z } from 'zod';
import { env, loadConfig } from '@lethe/shared/config';

/** Every environment variable the unlearning worker reads. Validated once, at boot. */
export const workerConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Health endpoint port. */
  PORT: env.port(3001),
  LOG_LEVEL: env.logLevel(),
  /** Unset: no Kafka consumer is started (the worker only serves /health). */
  KAFKA_BROKERS: env.csv().optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('lethe-unlearning-worker'),
  LETHE_TOPIC_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9._-]*$/)
    .default(''),
  /** auto: tfjs-node-gpu, then tfjs-node, then wasm; or force one. */
  LETHE_TF_BACKEND: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  WORKER_ID: z.string().min(1).default(`worker-${process.pid}`),
  /** Private store of noise-free chain states (never published). */
  LETHE_WORKER_STATE_DIR: z.string().min(1).default('.data/worker-state'),
});

export type WorkerConfig = z.output<typeof workerConfigSchema>;

export const loadWorkerConfig = (
  source: Record<string, string | undefined> = process.env,
): WorkerConfig => loadConfig('unlearning-worker', workerConfigSchema, source);
