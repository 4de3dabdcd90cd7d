import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../http/roles';
import { LetheMetrics } from './lethe-metrics';

/**
 * `GET /metrics`: the Prometheus exposition text of this process. Public, like the health routes:
 * it holds counts and durations only (no id, no subject); restrict it at the network edge.
 */
@ApiTags('ops')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: LetheMetrics) {}

  @Public()
  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } },
  })
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    const text = await this.metrics.scrape();
    res.type(this.metrics.contentType);
    return text;
  }
}
