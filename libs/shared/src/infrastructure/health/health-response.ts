import { ServiceUnavailableException } from '@nestjs/common';
import type { HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';

/**
 * Runs a terminus health check and answers its result as JSON either way: 200 when every indicator
 * is up, 503 with the same body (which indicator is down, and why) otherwise. Terminus signals
 * "down" by throwing a ServiceUnavailableException, which the problem+json filter would turn into
 * a bare problem; probes and people both want the details.
 */
export async function healthResponse(
  res: Response,
  run: () => Promise<HealthCheckResult>,
): Promise<HealthCheckResult> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof ServiceUnavailableException)) throw e;
    res.status(503);
    return e.getResponse() as HealthCheckResult;
  }
}
