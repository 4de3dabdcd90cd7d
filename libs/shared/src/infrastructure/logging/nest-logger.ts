import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';
import { safeErrorFields } from './safe-error';

/** Routes Nest's own log calls into the structured pino logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...optional: unknown[]): void {
    this.write('info', message, optional);
  }
  error(message: unknown, ...optional: unknown[]): void {
    this.write('error', message, optional);
  }
  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }
  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }
  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('trace', message, optional);
  }
  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    optional: unknown[],
  ): void {
    // Nest passes the context (class name) as the last string argument.
    const context =
      typeof optional[optional.length - 1] === 'string' ? (optional.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (message instanceof Error) {
      this.logger[level]({ ...fields, ...safeErrorFields(message) }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const text = optional.find((o): o is string => typeof o === 'string');
      this.logger[level]({ ...fields, ...(message as Record<string, unknown>) }, text);
    } else {
      const stack = optional.find((o) => typeof o === 'string');
      this.logger[level](stack ? { ...fields, stack } : fields, String(message));
    }
  }
}
