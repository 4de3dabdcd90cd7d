import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyRegistry, AuthGuard, ProblemDetailsFilter } from '@lethe/shared/infrastructure/http';
import { KafkaHealthIndicator } from '@lethe/shared/infrastructure/health';
import { MetricsModule } from '@lethe/shared/infrastructure/metrics';
import { GovernanceModule } from '@lethe/governance';
import { AuditModule, KeyRingEnv, keyRingFromEnv } from '@lethe/audit';
import type { GovernanceConfig } from './config';
import { HealthController, READINESS_KAFKA } from './health.controller';

export interface AppModuleOptions {
  readonly config: GovernanceConfig;
  /** Resolved connection: DATABASE_URL or, with LETHE_LOCAL_INFRA, the embedded server's. */
  readonly databaseUrl: string;
  /** Resolved brokers: KAFKA_BROKERS or, with LETHE_LOCAL_INFRA, the local broker's. */
  readonly kafkaBrokers: readonly string[];
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
        ...auditModules(),
        // GET /metrics (docs/adr/0014-observability.md) and the readiness checks.
        MetricsModule.forRoot({ app: 'governance' }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController],
      providers: [
        { provide: ApiKeyRegistry, useValue: new ApiKeyRegistry(options.config.LETHE_API_KEYS) },
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

function governanceOptions({ config, kafkaBrokers }: AppModuleOptions) {
  return {
    kafka: {
      brokers: kafkaBrokers,
      clientId: config.KAFKA_CLIENT_ID,
      namespace: config.LETHE_TOPIC_NAMESPACE,
      intakeGroupId: config.LETHE_INTAKE_GROUP_ID,
      sessionTimeoutMs: config.LETHE_INTAKE_SESSION_TIMEOUT_MS,
      intakeConcurrency: config.LETHE_INTAKE_CONCURRENCY,
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
      projections: config.LETHE_RUN_PROJECTIONS,
      scheduler: config.LETHE_RUN_SCHEDULER,
      outboxRelay: config.LETHE_RUN_OUTBOX_RELAY,
    },
  };
}

/**
 * The audit log and its routes (libs/audit, docs/adr/0008-audit-log.md), when a signing key ring
 * is configured (LETHE_AUDIT_KEYRING or LETHE_AUDIT_KEYRING_FILE; a wrong one stops the boot).
 */
function auditModules(env: NodeJS.ProcessEnv = process.env): DynamicModule[] {
  if (!env[KeyRingEnv.inline] && !env[KeyRingEnv.file]) return [];
  const origin = env.LETHE_AUDIT_ORIGIN ?? 'lethe.audit/default';
  return [AuditModule.forRoot({ origin, keyRing: keyRingFromEnv(env) })];
}
