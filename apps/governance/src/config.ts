import { z } from 'zod';
import {
  apiKeysSchema,
  DEFAULT_OIDC_ALGORITHMS,
  type OidcOptions,
} from '@lethe/shared/infrastructure/http';
import { env, loadConfig } from '@lethe/shared/config';
import { KeyRingEnv, keyRingFromEnv } from '@lethe/audit';

/** Every environment variable the governance service reads. Validated once, at boot. */
export const governanceConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: env.port(3000),
  LOG_LEVEL: env.logLevel(),
  /** Required, unless LETHE_LOCAL_INFRA starts an embedded server. */
  DATABASE_URL: z.string().url().startsWith('postgres').optional(),
  /** Required, unless LETHE_LOCAL_INFRA starts a local broker. */
  KAFKA_BROKERS: env.csv().optional(),
  /**
   * Development, tests and the demo only (refused in production): start an embedded PostgreSQL
   * and a local Kafka broker (Java + Maven) for whichever of the two URLs is unset, and apply the
   * migrations at boot. Otherwise migrations are a deployment step (`npm run migration:run`).
   */
  LETHE_LOCAL_INFRA: env.bool(false),
  KAFKA_CLIENT_ID: z.string().min(1).default('lethe-governance'),
  /** Prefix for every topic and consumer group name (tests, shared clusters). */
  LETHE_TOPIC_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9._-]*$/)
    .default(''),
  /**
   * Machines' API keys: name:key:role+role[:source|source],... (a publisher key may be bound to
   * CloudEvent sources; see libs/shared/src/infrastructure/http/api-keys.ts).
   */
  LETHE_API_KEYS: apiKeysSchema,
  /**
   * People sign in with OIDC (docs/adr/0015-authorisation.md): bearer JWTs from this issuer
   * (`iss`, exactly), for one of LETHE_OIDC_AUDIENCE, verified against the issuer's JWKS. Unset:
   * API keys only. Both or neither.
   */
  LETHE_OIDC_ISSUER: z.string().url().optional(),
  LETHE_OIDC_AUDIENCE: env.csv().optional(),
  /** The JWKS; default: `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  LETHE_OIDC_JWKS_URL: z.string().url().optional(),
  /** The claim with the Lethe roles, a dotted path allowed (e.g. `realm_access.roles`). */
  LETHE_OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
  /** Optional claim with the CloudEvent sources a person with the publisher role may act for. */
  LETHE_OIDC_SOURCES_CLAIM: z.string().min(1).optional(),
  /** Allowed JWS algorithms (asymmetric only). */
  LETHE_OIDC_ALGORITHMS: env
    .csv()
    .default(DEFAULT_OIDC_ALGORITHMS.join(','))
    .pipe(
      z.array(
        z
          .string()
          .regex(/^(RS|PS|ES)(256|384|512)$|^EdDSA$|^ES256K$/, 'asymmetric JWS algorithms only'),
      ),
    ),
  /** Clock skew tolerated on exp / nbf, in seconds. */
  LETHE_OIDC_CLOCK_TOLERANCE_S: env.int(5),
  /**
   * Key of the HMAC-SHA256 that turns subject ids into pseudonymous subject references. Changing it
   * breaks the link between old and new references: rotate only with a migration plan (ADR 0005).
   */
  LETHE_SUBJECT_HMAC_KEY: z.string().min(32, 'must be at least 32 characters'),
  /** Requests arriving within this window are coalesced into one unlearning job per model. */
  LETHE_COALESCE_WINDOW_MS: env.int(2000),
  /**
   * Largest deletion event, on Kafka and as an HTTP JSON body; below the broker's default
   * message.max.bytes (1 MiB), leaving room for DLQ headers.
   */
  LETHE_MAX_EVENT_BYTES: env.int(64 * 1024, 1024).pipe(z.number().max(900 * 1024)),
  /** JSON-array uploads of dataset records (NDJSON uploads are streamed and have no limit). */
  LETHE_MAX_UPLOAD_BYTES: env.int(64 * 1024 * 1024, 1024),
  /** A full batch opens a job before the coalescing window closes. */
  LETHE_MAX_REQUESTS_PER_JOB: env.int(500, 1),
  /** Attempts per round before a job ends `failed`; then backoff doubling from base to max. */
  LETHE_JOB_MAX_ATTEMPTS: env.int(3, 1),
  LETHE_JOB_BACKOFF_BASE_MS: env.int(5000),
  LETHE_JOB_BACKOFF_MAX_MS: env.int(300_000),
  /** How often the scheduler looks for work. */
  LETHE_SCHEDULER_TICK_MS: env.int(500, 10),
  /** Consumer group of lethe.deletion-requests.v1 (namespaced by LETHE_TOPIC_NAMESPACE). */
  LETHE_INTAKE_GROUP_ID: z.string().min(1).default('lethe-governance-intake'),
  /** How soon a dead intake consumer's partitions move to another instance. */
  LETHE_INTAKE_SESSION_TIMEOUT_MS: env.int(30_000, 6000),
  /**
   * Partition batches of one fetch that share one intake round (ADR 0013); a large round is
   * written by up to LETHE_INTAKE_WRITERS transactions. 1: one partition per round.
   */
  LETHE_INTAKE_CONCURRENCY: env.int(4, 1),
  /**
   * A round of at least twice this many messages is written by one transaction per group of
   * partitions of at least this many, in flight together (ADR 0013, "parallel writers").
   */
  LETHE_INTAKE_WRITER_MIN_MESSAGES: env.int(500, 1),
  /**
   * At most this many transactions write one intake round at once (1: never split). Each holds a
   * connection of the service's pool of 10, so at most 6.
   */
  LETHE_INTAKE_WRITERS: env.int(4, 1).pipe(z.number().max(6)),
  /**
   * The audit key ring (docs/adr/0008-audit-log.md): inline JSON, or a JSON file. Its public keys
   * verify the worker's certificates and are served as /.well-known/jwks.json; its current key
   * signs the audit log's checkpoints. Required in production. Elsewhere, when neither is set,
   * main.ts creates a development key ring in .data/audit-keyring.json (reused on later boots),
   * for the worker on the same machine to sign with (LETHE_AUDIT_KEYRING_FILE pointing there).
   */
  [KeyRingEnv.inline]: z.string().min(1).optional(),
  [KeyRingEnv.file]: z.string().min(1).optional(),
  /** The audit log's name in every checkpoint. */
  LETHE_AUDIT_ORIGIN: z.string().min(1).default('lethe.audit/default'),
  /**
   * The public model store's directory, the one the worker writes released versions to (never
   * its private chain store): GET /v1/models/:id/versions/:v reads it. Default outside
   * production: .data/model-store; unset in production: those routes answer 404.
   */
  LETHE_MODEL_STORE_DIR: z.string().min(1).optional(),
  /** Consumer group of lethe.unlearning-results.v1 (namespaced by LETHE_TOPIC_NAMESPACE). */
  LETHE_RESULTS_GROUP_ID: z.string().min(1).default('lethe-governance-results'),
  /** A job progress report of the same stage within this interval of the last one is dropped. */
  LETHE_PROGRESS_INTERVAL_MS: env.int(1000),
  /** Which background parts run in this process (all by default). */
  LETHE_RUN_INTAKE: env.bool(true),
  LETHE_RUN_RESULTS: env.bool(true),
  LETHE_RUN_PROJECTIONS: env.bool(true),
  LETHE_RUN_SCHEDULER: env.bool(true),
  LETHE_RUN_OUTBOX_RELAY: env.bool(true),
});

/**
 * Local infrastructure starts only when asked, and never in production: otherwise a missing
 * DATABASE_URL or KAFKA_BROKERS is a configuration error, never a toy database.
 */
const infrastructureChecks = (e: Readonly<Record<string, string | undefined>>): string[] => {
  const local = e.LETHE_LOCAL_INFRA === 'true' || e.LETHE_LOCAL_INFRA === '1';
  if (local) {
    return e.NODE_ENV === 'production'
      ? ['LETHE_LOCAL_INFRA: not allowed in production (embedded servers are for development)']
      : [];
  }
  const hint = '(or LETHE_LOCAL_INFRA=1 outside production to start a local one)';
  return [
    ...(e.DATABASE_URL ? [] : [`DATABASE_URL: required ${hint}`]),
    ...(e.KAFKA_BROKERS ? [] : [`KAFKA_BROKERS: required ${hint}`]),
  ];
};

/**
 * The key ring is required in production (certificates cannot be verified without it); set one
 * of the two variables, not both; an inline ring must load. A key ring file is read at boot
 * (main.ts), its problems reported the same way.
 */
const keyRingChecks = (e: Readonly<Record<string, string | undefined>>): string[] => {
  const inline = e[KeyRingEnv.inline];
  const file = e[KeyRingEnv.file];
  if (!inline && !file) {
    return e.NODE_ENV === 'production'
      ? [
          `${KeyRingEnv.inline} or ${KeyRingEnv.file}: required in production (the key ring ` +
            'that verifies certificates and signs checkpoints)',
        ]
      : [];
  }
  if (inline && file) return [`${KeyRingEnv.inline}: set it or ${KeyRingEnv.file}, not both`];
  if (!inline) return [];
  try {
    keyRingFromEnv({ [KeyRingEnv.inline]: inline });
    return [];
  } catch (err) {
    return [`${KeyRingEnv.inline}: ${(err as Error).message}`];
  }
};

/** OIDC needs an issuer and an audience; an issuer in production is https. */
const oidcChecks = (e: Readonly<Record<string, string | undefined>>): string[] => {
  const issuer = e.LETHE_OIDC_ISSUER;
  const audience = e.LETHE_OIDC_AUDIENCE;
  const problems: string[] = [];
  if (!issuer && (audience || e.LETHE_OIDC_JWKS_URL)) {
    problems.push('LETHE_OIDC_ISSUER: required when LETHE_OIDC_AUDIENCE or _JWKS_URL is set');
  }
  if (issuer && !audience) problems.push('LETHE_OIDC_AUDIENCE: required with LETHE_OIDC_ISSUER');
  if (e.NODE_ENV === 'production') {
    for (const name of ['LETHE_OIDC_ISSUER', 'LETHE_OIDC_JWKS_URL']) {
      const v = e[name];
      if (v && !v.startsWith('https://')) problems.push(`${name}: must be https in production`);
    }
  }
  return problems;
};

export type GovernanceConfig = z.output<typeof governanceConfigSchema>;

/** The OIDC verifier's options, or undefined when people do not sign in (API keys only). */
export const oidcOptionsOf = (config: GovernanceConfig): OidcOptions | undefined =>
  config.LETHE_OIDC_ISSUER && config.LETHE_OIDC_AUDIENCE
    ? {
        issuer: config.LETHE_OIDC_ISSUER,
        audience: config.LETHE_OIDC_AUDIENCE,
        ...(config.LETHE_OIDC_JWKS_URL ? { jwksUrl: config.LETHE_OIDC_JWKS_URL } : {}),
        rolesClaim: config.LETHE_OIDC_ROLES_CLAIM,
        ...(config.LETHE_OIDC_SOURCES_CLAIM
          ? { sourcesClaim: config.LETHE_OIDC_SOURCES_CLAIM }
          : {}),
        algorithms: config.LETHE_OIDC_ALGORITHMS,
        clockToleranceSeconds: config.LETHE_OIDC_CLOCK_TOLERANCE_S,
      }
    : undefined;

export const loadGovernanceConfig = (
  source: Record<string, string | undefined> = process.env,
): GovernanceConfig =>
  loadConfig('governance', governanceConfigSchema, source, (e) => [
    ...infrastructureChecks(e),
    ...keyRingChecks(e),
    ...oidcChecks(e),
  ]);

/** The database and brokers to use, once the configuration is valid. */
export interface Infrastructure {
  readonly databaseUrl: string;
  readonly kafkaBrokers: readonly string[];
  /** Stops what was started for this process (nothing, for external servers). */
  stop(): Promise<void>;
}

/** DATABASE_URL and KAFKA_BROKERS as given (validated: both are set without LETHE_LOCAL_INFRA). */
export function externalInfrastructure(config: GovernanceConfig): Infrastructure {
  if (!config.DATABASE_URL || !config.KAFKA_BROKERS) {
    throw new Error('DATABASE_URL and KAFKA_BROKERS are required without LETHE_LOCAL_INFRA');
  }
  return {
    databaseUrl: config.DATABASE_URL,
    kafkaBrokers: config.KAFKA_BROKERS,
    stop: () => Promise.resolve(),
  };
}

/** The migration step (migrate.ts) reads only these. */
export const migrateConfigSchema = z.object({
  DATABASE_URL: z.string().url().startsWith('postgres'),
  LOG_LEVEL: env.logLevel(),
});

export type MigrateConfig = z.output<typeof migrateConfigSchema>;

export const loadMigrateConfig = (
  source: Record<string, string | undefined> = process.env,
): MigrateConfig => loadConfig('governance-migrate', migrateConfigSchema, source);
