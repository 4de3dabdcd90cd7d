import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '@lethe/shared/infrastructure/http';

@ApiTags('ops')
@Controller()
export class HealthController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Liveness and readiness: 200 when the database answers, 503 otherwise. */
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
    const status = database.status === 'up' ? 'ok' : 'degraded';
    if (status !== 'ok') res.status(503);
    return { status, checks: { database } };
  }
}
