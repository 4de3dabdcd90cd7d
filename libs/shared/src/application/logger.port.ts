/**
 * The one logging surface libraries depend on (event store loops, intake, local infrastructure).
 * Apps plug in their logger: pino's `info/warn/error` fit as they are, a Nest `Logger` through
 * `loggerPortOf`.
 */
export interface LoggerPort {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: LoggerPort = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A Nest-style logger (`log/warn/error`) as a LoggerPort. */
export const loggerPortOf = (logger: {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}): LoggerPort => ({
  info: (m) => logger.log(m),
  warn: (m) => logger.warn(m),
  error: (m) => logger.error(m),
});
