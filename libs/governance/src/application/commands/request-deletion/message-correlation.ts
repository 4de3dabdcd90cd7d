import type { IHeaders } from 'kafkajs';

/** Kafka header an upstream app may set to tie its message to its own logs and traces. */
export const CORRELATION_HEADER = 'x-correlation-id';
/** Same rule as the HTTP door (correlationMiddleware): short, no spaces or control characters. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The correlation id of an inbound Kafka message: its `x-correlation-id` header if well-formed,
 * else `fallback` (the CloudEvent id, or the message's position when it could not be parsed).
 */
export function correlationIdOfMessage(headers: IHeaders | undefined, fallback: string): string {
  const raw = headers?.[CORRELATION_HEADER];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return fallback;
  const value = typeof first === 'string' ? first : first.toString('utf8');
  return WELL_FORMED.test(value) ? value : fallback;
}
