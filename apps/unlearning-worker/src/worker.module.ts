import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ApiKeyRegistry, AuthGuard, ProblemDetailsFilter } from '@lethe/shared/infrastructure/http';
import { KafkaHealthIndicator } from '@lethe/shared/infrastructure/health';
import { LetheMetrics, MetricsModule } from '@lethe/shared/infrastructure/metrics';
import type { WorkerConfig } from './config';
import type { JobWorker } from './jobs/job-worker';
import { HealthController } from './health.controller';
import { WorkerStatus } from './worker-status';

@Module({})
export class WorkerModule {
  static forRoot(
    config: WorkerConfig,
    backend: string,
    jobs: JobWorker | null = null,
    metrics: LetheMetrics = new LetheMetrics({ app: 'unlearning-worker' }),
  ): DynamicModule {
    const status = new WorkerStatus();
    status.workerId = config.WORKER_ID;
    status.backend = backend;
    if (jobs) status.jobs = () => jobs.health();
    status.kafkaBrokers = config.KAFKA_BROKERS ?? [];
    status.kafkaClientId = config.KAFKA_CLIENT_ID;
    return {
      module: WorkerModule,
      // GET /metrics: LetheMetrics (jobsCompleted, jobDuration, …) is injectable everywhere.
      imports: [
        MetricsModule.forRoot({ instance: metrics }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController],
      providers: [
        KafkaHealthIndicator,
        { provide: WorkerStatus, useValue: status },
        // The worker exposes no authenticated route; an empty registry denies everything but @Public.
        { provide: ApiKeyRegistry, useValue: new ApiKeyRegistry([]) },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
