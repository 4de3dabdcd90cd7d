import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import * as path from 'node:path';
import { ApiKeyRegistry, AuthGuard, ProblemDetailsFilter } from '@lethe/shared/infrastructure/http';
import { GovernanceModule } from '@lethe/governance';
import type { GovernanceConfig } from './config';
import { HealthController } from './health.controller';

export interface AppModuleOptions {
  readonly config: GovernanceConfig;
  /** Resolved connection: DATABASE_URL or the embedded server's. */
  readonly databaseUrl: string;
  /** Resolved brokers: KAFKA_BROKERS or the local broker's. */
  readonly kafkaBrokers: readonly string[];
}

/** Migration classes, compiled or not; timestamp-prefixed files only (never specs). */
export const MIGRATIONS_GLOB = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'migrations',
  '[0-9]*-*.{ts,js}',
);

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
          autoLoadEntities: true,
          synchronize: false,
          migrations: [MIGRATIONS_GLOB],
          migrationsTableName: 'typeorm_migrations',
          migrationsRun: true,
          extra: { max: 10 },
        }),
        GovernanceModule.forRoot(governanceOptions(options)),
      ],
      controllers: [HealthController],
      providers: [
        { provide: ApiKeyRegistry, useValue: new ApiKeyRegistry(options.config.LETHE_API_KEYS) },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
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
