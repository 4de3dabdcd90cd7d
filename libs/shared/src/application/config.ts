import { z } from 'zod';

/** Raised at boot when the environment does not satisfy an app's schema; lists every problem. */
export class ConfigValidationError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly app: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${app}: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

/**
 * Parses `env` with `schema` and returns the typed config, or throws ConfigValidationError with
 * the whole list of problems (never only the first one).
 */
export function loadConfig<S extends z.ZodTypeAny>(
  app: string,
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data as z.output<S>;
  const problems = parsed.error.issues.map((i) => {
    const path = i.path.join('.') || '(root)';
    return `${path}: ${i.message}`;
  });
  throw new ConfigValidationError(app, problems);
}

/** Zod helpers for environment variables (always strings). */
export const env = {
  port: (def: number) => z.coerce.number().int().min(0).max(65535).default(def),
  int: (def: number, min = 0) => z.coerce.number().int().min(min).default(def),
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(def ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  csv: () =>
    z
      .string()
      .min(1)
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      ),
  logLevel: () =>
    z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
};
