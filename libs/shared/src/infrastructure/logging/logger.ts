import pino, { type Logger, type LoggerOptions } from 'pino';
import { RequestContextStore } from './request-context';

/**
 * Fields that never reach a log line in clear text: raw subject ids, tokens, keys, credentials,
 * features of records (personal data). Paths follow pino's redact syntax.
 */
export const REDACT_PATHS: readonly string[] = [
  'subjectId',
  '*.subjectId',
  '*.*.subjectId',
  'subject',
  '*.subject',
  'features',
  '*.features',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'apiKey',
  '*.apiKey',
  'apiKeys',
  '*.apiKeys',
  'token',
  '*.token',
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'secret',
  '*.secret',
  'hmacKey',
  '*.hmacKey',
  'databaseUrl',
  '*.databaseUrl',
  // Driver errors: the SQL text and its parameters (which can hold personal data).
  'err.parameters',
  'err.query',
  'err.driverError',
  '*.err.parameters',
  '*.err.query',
  '*.err.driverError',
];

export interface CreateLoggerOptions {
  readonly app: string;
  readonly level?: LoggerOptions['level'];
  /** Where to write; defaults to stdout. Tests pass a stream to inspect lines. */
  readonly destination?: pino.DestinationStream;
}

/** Structured JSON logger: one object per line, correlation id mixed in, secrets redacted. */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { app: opts.app },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const correlationId = RequestContextStore.correlationId();
      return correlationId ? { correlationId } : {};
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

export type { Logger };
