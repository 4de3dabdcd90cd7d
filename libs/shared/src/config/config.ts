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
  crossChecks: (env: Readonly<Record<string, string | undefined>>) => readonly string[] = () => [],
): z.output<S> {
  const parsed = schema.safeParse(env);
  // Rules across variables run on the raw environment, so they report even when a field fails.
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)),
    ...crossChecks(env),
  ];
  if (problems.length > 0) throw new ConfigValidationError(app, problems);
  return (parsed as z.SafeParseSuccess<z.output<S>>).data;
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
