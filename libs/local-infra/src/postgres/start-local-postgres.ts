import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dataDir } from '../support/paths';
import { freePort } from '../support/free-port';
import { consoleLogger, type InfraLogger } from '../support/logger';
import { isAlive, startWatchdog, waitForPidExit, withTimeout } from '../support/processes';
import { loadEmbeddedPostgres, type EmbeddedPostgresInstance } from './embedded-postgres-module';
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

/** Starts a real PostgreSQL server (embedded-postgres binaries), or uses DATABASE_URL. */
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
  const EmbeddedPostgres = loadEmbeddedPostgres();

  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = options.port ?? (await freePort());
    const databaseDir = options.dataDir ?? dataDir(`pg-${process.pid}-${port}`);
    const password = persistent ? persistentPassword(databaseDir) : randomBytes(12).toString('hex');
    const serverLog: string[] = [];
    const server = new EmbeddedPostgres({
      databaseDir,
      port,
      user: USER,
      password,
      authMethod: 'scram-sha-256',
      persistent,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
        ...(fast
          ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
          : []),
      ],
      onLog: (message) => remember(serverLog, message),
      onError: (error) => remember(serverLog, String(error)),
    });
    const startedAt = Date.now();
    try {
      if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
      await withTimeout(
        server.start().catch(() => {
          throw new Error('postgres exited during start');
        }),
        startTimeoutMs,
        `PostgreSQL did not start within ${startTimeoutMs} ms`,
      );
      const pid = postmasterPid(server);
      if (pid) startWatchdog(pid, 'SIGINT');
      const url = `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`;
      const versions = await serverVersion(url);
      logger.info(
        `PostgreSQL ${versions.serverVersion} started on 127.0.0.1:${port} in ${Date.now() - startedAt} ms ` +
          `(${versions.version})`,
      );
      return {
        url,
        ...versions,
        external: false,
        stop: () => stopServer(server, databaseDir, persistent),
      };
    } catch (error) {
      lastError = error;
      await stopServer(server, databaseDir, persistent).catch(() => undefined);
      const tail = serverLog.join('').split('\n').slice(-30).join('\n');
      logger.warn(
        `PostgreSQL start attempt ${attempt} on port ${port} failed: ${(error as Error).message}\n${tail}`,
      );
      if (options.port !== undefined) break;
    }
  }
  throw new Error(
    `Could not start embedded PostgreSQL: ${(lastError as Error)?.message ?? lastError}`,
  );
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

function postmasterPid(server: EmbeddedPostgresInstance): number | undefined {
  return (server as unknown as { process?: { pid?: number } }).process?.pid;
}

async function stopServer(
  server: EmbeddedPostgresInstance,
  databaseDir: string,
  persistent: boolean,
): Promise<void> {
  const pid = postmasterPid(server);
  const stopped = server.stop();
  if (pid && !(await waitForPidExit(pid, STOP_TIMEOUT_MS))) {
    process.kill(pid, 'SIGKILL');
  }
  await withTimeout(stopped, 5_000, 'embedded-postgres stop() hung').catch(() => undefined);
  if (!persistent) rmSync(databaseDir, { recursive: true, force: true });
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
