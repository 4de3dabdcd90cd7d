import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import * as path from 'node:path';
import { ApiKeyRegistry, AuthGuard, ProblemDetailsFilter } from '@lethe/shared/infrastructure/http';
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
