import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  ApiKeyRegistry,
  AuthGuard,
  OIDC_VERIFIER,
  OidcVerifier,
  ProblemDetailsFilter,
} from '@lethe/shared/infrastructure/http';
import { KafkaHealthIndicator } from '@lethe/shared/infrastructure/health';
import { MetricsModule } from '@lethe/shared/infrastructure/metrics';
import { GovernanceModule } from '@lethe/governance';
import type { KeyRing } from '@lethe/audit';
import { oidcOptionsOf, type GovernanceConfig } from './config';
import { HealthController, READINESS_KAFKA } from './health.controller';

export interface AppModuleOptions {
  readonly config: GovernanceConfig;
  /** Resolved connection: DATABASE_URL or, with LETHE_LOCAL_INFRA, the embedded server's. */
  readonly databaseUrl: string;
  /** Resolved brokers: KAFKA_BROKERS or, with LETHE_LOCAL_INFRA, the local broker's. */
  readonly kafkaBrokers: readonly string[];
  /**
   * The audit key ring (LETHE_AUDIT_KEYRING / _FILE, or the development one main.ts creates):
   * the audit log and its routes, and the verification of the worker's certificates.
   */
  readonly keyRing: KeyRing;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: options.databaseUrl,
          // Never synchronize, never migrate here: migrations are a deployment step (migrate.ts).
          synchronize: false,
          migrationsRun: false,
          extra: { max: 10 },
        }),
        GovernanceModule.forRoot(governanceOptions(options)),
        // GET /metrics (docs/adr/0014-observability.md) and the readiness checks.
        MetricsModule.forRoot({ app: 'governance' }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController],
      providers: [
        { provide: ApiKeyRegistry, useValue: new ApiKeyRegistry(options.config.LETHE_API_KEYS) },
        ...oidcProviders(options.config),
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        KafkaHealthIndicator,
        {
          provide: READINESS_KAFKA,
          useValue: { brokers: options.kafkaBrokers, clientId: options.config.KAFKA_CLIENT_ID },
        },
      ],
    };
  }
}

/** People's sign-in (OIDC), when configured; the AuthGuard then accepts the issuer's JWTs. */
function oidcProviders(config: GovernanceConfig) {
  const oidc = oidcOptionsOf(config);
  return oidc ? [{ provide: OIDC_VERIFIER, useValue: new OidcVerifier(oidc) }] : [];
}

function governanceOptions({ config, kafkaBrokers, keyRing }: AppModuleOptions) {
  const modelStoreDir =
    config.LETHE_MODEL_STORE_DIR ?? (config.NODE_ENV === 'production' ? null : '.data/model-store');
  return {
    audit: { origin: config.LETHE_AUDIT_ORIGIN, keyRing },
    modelStoreDir,
    results: {
      groupId: config.LETHE_RESULTS_GROUP_ID,
      progressIntervalMs: config.LETHE_PROGRESS_INTERVAL_MS,
    },
    kafka: {
      brokers: kafkaBrokers,
      clientId: config.KAFKA_CLIENT_ID,
      namespace: config.LETHE_TOPIC_NAMESPACE,
      intakeGroupId: config.LETHE_INTAKE_GROUP_ID,
      sessionTimeoutMs: config.LETHE_INTAKE_SESSION_TIMEOUT_MS,
      intakeConcurrency: config.LETHE_INTAKE_CONCURRENCY,
      intakeWriterMinMessages: config.LETHE_INTAKE_WRITER_MIN_MESSAGES,
      intakeWriters: config.LETHE_INTAKE_WRITERS,
    },
    subjectHmacKey: config.LETHE_SUBJECT_HMAC_KEY,
    maxEventBytes: config.LETHE_MAX_EVENT_BYTES,
    scheduling: {
      coalesceWindowMs: config.LETHE_COALESCE_WINDOW_MS,
      maxRequestsPerJob: config.LETHE_MAX_REQUESTS_PER_JOB,
      maxAttempts: config.LETHE_JOB_MAX_ATTEMPTS,
      backoff: {
        baseDelayMs: config.LETHE_JOB_BACKOFF_BASE_MS,
        maxDelayMs: config.LETHE_JOB_BACKOFF_MAX_MS,
      },
      tickMs: config.LETHE_SCHEDULER_TICK_MS,
    },
    run: {
      intakeConsumer: config.LETHE_RUN_INTAKE,
      resultsConsumer: config.LETHE_RUN_RESULTS,
      projections: config.LETHE_RUN_PROJECTIONS,
      scheduler: config.LETHE_RUN_SCHEDULER,
      outboxRelay: config.LETHE_RUN_OUTBOX_RELAY,
    },
  };
}
