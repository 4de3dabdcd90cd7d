import type { NextFunction, Request, Response } from 'express';
import { RequestContextStore } from '../logging/request-context';

export const CORRELATION_HEADER = 'x-correlation-id';
const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes the caller's correlation id (if well-formed) or makes one; every log line of the request carries it. */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction): void {
  const given = req.header(CORRELATION_HEADER);
  const correlationId = given && VALID.test(given) ? given : RequestContextStore.newCorrelationId();
  res.setHeader(CORRELATION_HEADER, correlationId);
  RequestContextStore.run({ correlationId }, next);
}
