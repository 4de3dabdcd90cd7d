import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { DeletionRequestsKafkaConsumer, JobResultsKafkaConsumer } from '@lethe/governance';
import { Public } from '@lethe/shared/infrastructure/http';
import {
  healthResponse,
  KafkaHealthIndicator,
  type KafkaProbeOptions,
} from '@lethe/shared/infrastructure/health';

class LiveDto extends createZodDto(
  z.object({ status: z.literal('ok'), uptimeSeconds: z.number().int() }),
) {}

/** @nestjs/terminus's result: `status` and each check's details under info / error / details. */
class ReadyDto extends createZodDto(
  z.object({
    status: z.enum(['ok', 'error']),
    info: z.record(z.object({ status: z.string() }).passthrough()).optional(),
    error: z.record(z.object({ status: z.string() }).passthrough()).optional(),
    details: z.record(z.object({ status: z.string() }).passthrough()),
  }),
) {}

const consumerHealth = z
  .object({ status: z.enum(['up', 'starting', 'down', 'off']) })
  .passthrough();

class HealthDto extends createZodDto(
  z.object({
    status: z.enum(['ok', 'degraded']),
    checks: z.object({
      database: z.object({
        status: z.enum(['up', 'down']),
        latencyMs: z.number().optional(),
        error: z.string().optional(),
      }),
      intake: consumerHealth,
      results: consumerHealth,
    }),
  }),
) {}

/** The brokers and client id the readiness probe asks (the app's own). */
export const READINESS_KAFKA = Symbol('ReadinessKafka');

/** How long each readiness check may take before it counts as down. */
const CHECK_TIMEOUT_MS = 2_000;

@ApiTags('ops')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly intake: DeletionRequestsKafkaConsumer,
    private readonly results: JobResultsKafkaConsumer,
    private readonly checks: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly kafka: KafkaHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_KAFKA) private readonly kafkaProbe: KafkaProbeOptions,
  ) {}

  /**
   * Liveness: 200 while the process answers HTTP. Nothing outside it is asked, so a database or
   * broker outage never gets a healthy process restarted: the service recovers from those itself.
   */
  @Public()
  @Get('health/live')
  @ApiOkResponse({ type: LiveDto })
  live() {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  /**
   * Readiness: 200 when PostgreSQL answers `SELECT 1`, the Kafka cluster answers an admin
   * metadata call (each within 2 s), and neither Kafka consumer (intake, worker results) is down; 503 with the details
   * otherwise (docs/adr/0014-observability.md).
   */
  @Public()
  @Get('health/ready')
  @ApiOkResponse({ type: ReadyDto })
  @ApiServiceUnavailableResponse({ type: ReadyDto, description: 'a check is down' })
  ready(@Res({ passthrough: true }) res: Response) {
    return healthResponse(res, () =>
      this.checks.check([
        () => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
        () => this.kafka.isReachable('kafka', { ...this.kafkaProbe, timeoutMs: CHECK_TIMEOUT_MS }),
        () => this.consumerCheck('intake', this.intake.health()),
        () => this.consumerCheck('results', this.results.health()),
      ]),
    );
  }

  /** `consumer`: up, starting, down (crashed, not yet back in its group), off (not run here). */
  private consumerCheck(key: string, health: { readonly status: string }) {
    const { status: consumer, ...rest } = health;
    const check = this.indicators.check(key);
    return consumer === 'down'
      ? check.down({ consumer, ...rest })
      : check.up({ consumer, ...rest });
  }

  /**
   * The first health route, kept for existing probes and scripts: 200 when the database answers
   * and neither Kafka consumer (intake, worker results) is down (crashed and not yet back in its
   * group); 503 otherwise. All recover by themselves. New probes use /health/live and /health/ready.
   */
  @Public()
  @Get('health')
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'degraded' })
  @HttpCode(200)
  async health(@Res({ passthrough: true }) res: Response) {
    const started = Date.now();
    let database: { status: 'up' | 'down'; latencyMs?: number; error?: string };
    try {
      await this.db.query('select 1');
      database = { status: 'up', latencyMs: Date.now() - started };
    } catch (e) {
      database = { status: 'down', error: e instanceof Error ? e.message : String(e) };
    }
    const intake = this.intake.health();
    const results = this.results.health();
    const status =
      database.status === 'up' && intake.status !== 'down' && results.status !== 'down'
        ? 'ok'
        : 'degraded';
    if (status !== 'ok') res.status(503);
    return { status, checks: { database, intake, results } };
  }
}
