import { SingleBar } from 'cli-progress';

/** Exit codes of `lethe` (apps/cli/README.md). */
export const EXIT = {
  OK: 0,
  /** Verification failed, or the service refused the request (problem+json printed). */
  FAILED: 1,
  /** Bad usage: unknown option, missing argument, bad value. */
  USAGE: 2,
  /** The service could not be reached, or a file could not be read or written. */
  IO: 3,
} as const;

/** An error that ends the command with a given exit code and message (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** A progress bar on stderr: only on a TTY, never with --quiet; a no-op otherwise. */
export interface Progress {
  start(total: number, label: string): void;
  update(value: number): void;
  stop(): void;
}

export function progress(quiet: boolean | undefined): Progress {
  if (quiet || !process.stderr.isTTY) {
    return { start: () => undefined, update: () => undefined, stop: () => undefined };
  }
  const bar = new SingleBar({
    stream: process.stderr,
    format: '{label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}',
    hideCursor: true,
    clearOnComplete: true,
  });
  let running = false;
  return {
    start(total, label) {
      bar.start(total, 0, { label });
      running = true;
    },
    update(value) {
      if (running) bar.update(value);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** Where the service is and who we are: flags first, then LETHE_URL / LETHE_TOKEN. */
export interface Connection {
  readonly url: string;
  readonly token: string;
}

export function connection(opts: { url?: string; token?: string }): Connection {
  const url = opts.url ?? process.env.LETHE_URL;
  const token = opts.token ?? process.env.LETHE_TOKEN;
  if (!url) throw new CliError('no service URL: pass --url or set LETHE_URL', EXIT.USAGE);
  if (!token) throw new CliError('no token: pass --token or set LETHE_TOKEN', EXIT.USAGE);
  try {
    new URL(url);
  } catch {
    throw new CliError(`--url ${url} is not a URL`, EXIT.USAGE);
  }
  return { url: url.replace(/\/+$/, ''), token };
}

/** fetch with the bearer token; a problem+json answer becomes a CliError naming its code. */
export async function call(
  conn: Connection,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${conn.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${conn.token}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (e) {
    throw new CliError(`cannot reach ${conn.url}: ${(e as Error).message}`, EXIT.IO);
  }
  if (!res.ok) {
    const text = await res.text();
    let detail = text;
    try {
      const p = JSON.parse(text) as { code?: string; detail?: string };
      detail = `${p.code ?? 'ERROR'}: ${p.detail ?? ''}`;
    } catch {
      // not problem+json: print as is
    }
    throw new CliError(`${res.status} ${detail}`.trim(), EXIT.FAILED);
  }
  return res;
}
