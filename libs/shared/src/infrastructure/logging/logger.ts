import pino, { type Logger, type LoggerOptions } from 'pino';
import { RequestContextStore } from './request-context';

/**
 * Keys whose values never reach a log line in clear text: raw subject ids, record features
 * (personal data), tokens, keys, credentials, and the SQL text, parameters and detail of driver
 * errors (a unique-violation detail quotes the key's value).
 */
export const REDACTED_KEYS: readonly string[] = [
  'subjectId',
  'subject',
  'features',
  'authorization',
  'apiKey',
  'apiKeys',
  'token',
  'password',
  'privateKey',
  'secret',
  'hmacKey',
  'databaseUrl',
  'parameters',
  'query',
  'driverError',
  'detail',
];

/** How deep in a logged object the keys above are found (pino's redaction has no recursive wildcard). */
export const REDACT_DEPTH = 5;

/** pino redact paths: every key at the top level and under 1..REDACT_DEPTH wildcard levels. */
export const REDACT_PATHS: readonly string[] = REDACTED_KEYS.flatMap((key) =>
  Array.from({ length: REDACT_DEPTH + 1 }, (_, depth) =>
    [...Array<string>(depth).fill('*'), key].join('.'),
  ),
);

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
