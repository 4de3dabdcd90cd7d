import { ConfigValidationError } from '../config/config';
import { isDomainError } from '../domain/domain-error';

/** Exit status of a process stopped by its configuration (sysexits EX_CONFIG). */
export const EX_CONFIG = 78;

/** Loads an app's configuration, or prints every problem and exits with EX_CONFIG. */
export function loadConfigOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof ConfigValidationError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw e;
  }
}

/**
 * Runs an app's bootstrap; a failure ends the process with status 1. A coded error is an expected
 * refusal: it is printed as `[CODE] message`, without a stack trace.
 */
export function runMain(app: string, bootstrap: () => Promise<void>): void {
  bootstrap().catch((e: unknown) => {
    const text = isDomainError(e)
      ? `[${e.code}] ${e.message}`
      : e instanceof Error
        ? (e.stack ?? e.message)
        : String(e);
    process.stderr.write(`${app} failed to start: ${text}\n`);
    process.exit(1);
  });
}
