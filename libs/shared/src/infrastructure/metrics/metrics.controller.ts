import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../http/roles';
import { LetheMetrics } from './lethe-metrics';

/**
 * `GET /metrics`: the Prometheus exposition text of this process. Public, like the health routes:
 * it holds counts and durations only (no id, no subject); restrict it at the network edge.
 */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: LetheMetrics) {}

  @Public()
  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    const text = await this.metrics.scrape();
    res.type(this.metrics.contentType);
    return text;
  }
}
