import { z } from 'zod';
import { apiKeysSchema } from '@lethe/shared/infrastructure/http';
import { env, loadConfig } from '@lethe/shared/config';

/** Every environment variable the governance service reads. Validated once, at boot. */
export const governanceConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: env.port(3000),
  LOG_LEVEL: env.logLevel(),
  /** Unset: an embedded PostgreSQL server is started (development and demo only). */
  DATABASE_URL: z.string().url().startsWith('postgres').optional(),
  /** Unset: a local Apache Kafka broker is started (development and demo only; needs Java + Maven). */
  KAFKA_BROKERS: env.csv().optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('lethe-governance'),
  /** Prefix for every topic and consumer group name (tests, shared clusters). */
  LETHE_TOPIC_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9._-]*$/)
    .default(''),
  /** name:key:role+role,... (see libs/shared/src/infrastructure/http/api-keys.ts). */
  LETHE_API_KEYS: apiKeysSchema,
  /** Key of the HMAC that turns subject ids into pseudonymous subject references. */
  LETHE_SUBJECT_HMAC_KEY: z.string().min(32, 'must be at least 32 characters'),
  /** Requests arriving within this window are coalesced into one unlearning job per model. */
  LETHE_COALESCE_WINDOW_MS: env.int(2000),
  /** Below the broker's default message.max.bytes (1 MiB), leaving room for DLQ headers. */
  LETHE_MAX_EVENT_BYTES: env.int(64 * 1024, 1024).pipe(z.number().max(900 * 1024)),
  /** JSON-array uploads of dataset records (NDJSON uploads are streamed and have no limit). */
  LETHE_MAX_UPLOAD_BYTES: env.int(64 * 1024 * 1024, 1024),
  /** A full batch opens a job before the coalescing window closes. */
  LETHE_MAX_REQUESTS_PER_JOB: env.int(500, 1),
  /** Attempts per round before a job ends `failed`; then backoff doubling from base to max. */
  LETHE_JOB_MAX_ATTEMPTS: env.int(3, 1),
  LETHE_JOB_BACKOFF_BASE_MS: env.int(5000),
  LETHE_JOB_BACKOFF_MAX_MS: env.int(300_000),
  LETHE_SCHEDULER_TICK_MS: env.int(500, 10),
  LETHE_INTAKE_GROUP_ID: z.string().min(1).default('lethe-governance-intake'),
  LETHE_INTAKE_SESSION_TIMEOUT_MS: env.int(30_000, 6000),
  LETHE_INTAKE_CONCURRENCY: env.int(1, 1),
  /** Which background parts run in this process (all by default). */
  LETHE_RUN_INTAKE: env.bool(true),
  LETHE_RUN_PROJECTIONS: env.bool(true),
  LETHE_RUN_SCHEDULER: env.bool(true),
  LETHE_RUN_OUTBOX_RELAY: env.bool(true),
});

/** Production never falls back to the embedded database or the local broker. */
const productionChecks = (e: Readonly<Record<string, string | undefined>>): string[] =>
  e.NODE_ENV !== 'production'
    ? []
    : [
        ...(e.DATABASE_URL ? [] : ['DATABASE_URL: required in production (no embedded database)']),
        ...(e.KAFKA_BROKERS ? [] : ['KAFKA_BROKERS: required in production (no local broker)']),
      ];

export type GovernanceConfig = z.output<typeof governanceConfigSchema>;

export const loadGovernanceConfig = (
  source: Record<string, string | undefined> = process.env,
): GovernanceConfig => loadConfig('governance', governanceConfigSchema, source, productionChecks);
