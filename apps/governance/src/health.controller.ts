import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { DeletionRequestsKafkaConsumer, JobResultsKafkaConsumer } from '@lethe/governance';
import { Public } from '@lethe/shared/infrastructure/http';

@ApiTags('ops')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly intake: DeletionRequestsKafkaConsumer,
    private readonly results: JobResultsKafkaConsumer,
  ) {}

  /**
   * Liveness and readiness: 200 when the database answers and neither Kafka consumer (intake,
   * worker results) is down (crashed and not yet back in its group); 503 otherwise. All recover
   * by themselves.
   */
  @Public()
  @Get('health')
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
