import { Controller, Get, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '@lethe/shared/infrastructure/http';
import { healthResponse, KafkaHealthIndicator } from '@lethe/shared/infrastructure/health';
import { currentBackend } from '@lethe/unlearning';
import { WorkerStatus } from './worker-status';

@Controller()
export class HealthController {
  constructor(
    private readonly status: WorkerStatus,
    private readonly checks: HealthCheckService,
    private readonly kafka: KafkaHealthIndicator,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Liveness: 200 while the process answers HTTP; asks nothing outside it. */
  @Public()
  @Get('health/live')
  live() {
    return { status: 'ok', workerId: this.status.workerId };
  }

  /**
   * Readiness: 200 when the Kafka cluster answers an admin metadata call within 2 s and the job
   * consumer is not down; 503 with
   * the details otherwise (docs/adr/0014-observability.md). A worker without KAFKA_BROKERS
   * consumes nothing and says so (`kafka: up, configured: false`).
   */
  @Public()
  @Get('health/ready')
  ready(@Res({ passthrough: true }) res: Response) {
    const brokers = this.status.kafkaBrokers;
    return healthResponse(res, () =>
      this.checks.check([
        () =>
          brokers.length === 0
            ? this.indicators.check('kafka').up({ configured: false })
            : this.kafka.isReachable('kafka', {
                brokers,
                clientId: this.status.kafkaClientId,
                timeoutMs: 2_000,
              }),
        () => {
          // The job consumer: off (no Kafka), starting, up, down (crashed, not yet back in its group).
          const consumer = this.status.jobs();
          const check = this.indicators.check('jobs');
          return consumer === 'down' ? check.down({ consumer }) : check.up({ consumer });
        },
      ]),
    );
  }

  /**
   * Liveness plus what the engine runs on: the tfjs backend, its versions (the TensorFlow C
   * library's when native), and why a preferred backend was skipped (with the install step's
   * reason when the native build did not happen).
   */
  @Public()
  @Get('health')
  health() {
    const tf = currentBackend();
    const base = { status: 'ok', workerId: this.status.workerId, jobs: this.status.jobs() };
    if (!tf) return { ...base, backend: this.status.backend };
    return {
      ...base,
      backend: tf.name,
      ...(tf.binding ? { binding: tf.binding } : {}),
      versions: tf.versions,
      fallbacks: tf.fallbacks,
    };
  }
}
