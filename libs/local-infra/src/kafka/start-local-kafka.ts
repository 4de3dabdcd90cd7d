import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { dataDir } from '../support/paths';
import { freePorts } from '../support/free-port';
import { consoleLogger, type InfraLogger } from '../support/logger';
import { isAlive, sleep, startWatchdog, waitForExit, waitForPidExit } from '../support/processes';
import {
  loggingConfig,
  randomClusterId,
  serverProperties,
  type BrokerLayout,
} from './broker-config';
import { kafkaVersion } from './kafka-version';
import { resolveKafka } from './resolve-kafka';

export interface LocalKafkaOptions {
  /** Use `KAFKA_BROKERS` (comma-separated) when set instead of starting a broker (default true). */
  useEnv?: boolean;
  /** Broker version (default: the proven one, see kafka-version.ts). */
  version?: string;
  /** Client port on 127.0.0.1 (default: a free one). */
  port?: number;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  /** Let the broker outlive this process (the CLI's `start --detach`); default false. */
  detached?: boolean;
  /** JVM heap, default `-Xmx768m`. */
  heap?: string;
  logger?: InfraLogger;
}

export interface LocalKafka {
  brokers: string[];
  version: string;
  /** True when it came from KAFKA_BROKERS (then stop() does nothing). */
  external: boolean;
  /** The JVM's pid and the broker's folder (config, server.log), when we started it. */
  pid?: number;
  home?: string;
  stop(): Promise<void>;
  /**
   * Stops the broker (SIGTERM, a clean shutdown), runs `whileDown`, then starts it again on the
   * same port with the same data (topics, committed offsets): the failure tests' broker restart.
   * Not available for an external broker (KAFKA_BROKERS).
   */
  restart?(whileDown?: () => Promise<void>): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts a real Apache Kafka broker (KRaft, one node) on 127.0.0.1, or uses KAFKA_BROKERS. */
export async function startLocalKafka(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const logger = options.logger ?? consoleLogger;
  const envBrokers = process.env.KAFKA_BROKERS;
  if ((options.useEnv ?? true) && envBrokers) {
    const brokers = envBrokers
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    await waitUntilAnswering(brokers, options.startTimeoutMs ?? 30_000, () => undefined);
    logger.info(`Kafka from KAFKA_BROKERS: ${brokers.join(',')}`);
    return { brokers, version: 'external', external: true, stop: async () => undefined };
  }

  const version = options.version ?? kafkaVersion();
  const resolved = await resolveKafka(version, logger);
  removeStaleBrokerDirs(logger);
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [port, controllerPort] = options.port
      ? [options.port, ...(await freePorts(1))]
      : await freePorts(2);
    if (port === undefined || controllerPort === undefined) throw new Error('no free ports');
    const home = dataDir(`kafka-${port}`);
    const layout: BrokerLayout = {
      version,
      port,
      controllerPort,
      home,
      logDirs: path.join(home, 'data'),
      serverLog: path.join(home, 'server.log'),
    };
    try {
      return await startBroker(layout, resolved.classpath, options, logger);
    } catch (error) {
      lastError = error;
      logger.warn(
        `Kafka start attempt ${attempt} on port ${port} failed: ${(error as Error).message}`,
      );
      if (
        options.port !== undefined ||
        !/address already in use|BindException/i.test(String(error))
      )
        break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function startBroker(
  layout: BrokerLayout,
  classpath: string,
  options: LocalKafkaOptions,
  logger: InfraLogger,
): Promise<LocalKafka> {
  const startedAt = Date.now();
  rmSync(layout.home, { recursive: true, force: true });
  mkdirSync(layout.logDirs, { recursive: true });
  const propsFile = path.join(layout.home, 'server.properties');
  writeFileSync(propsFile, serverProperties(layout));
  const logging = loggingConfig(layout);
  const loggingFile = path.join(layout.home, logging.fileName);
  writeFileSync(loggingFile, logging.content);
  const jvm = [
    `-Xms128m`,
    options.heap ?? '-Xmx768m',
    '-XX:+UseG1GC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `${logging.jvmFlag}${loggingFile}`,
    `-Dkafka.logs.dir=${layout.home}`,
    '-cp',
    classpath,
  ];

  const clusterId = randomClusterId(randomBytes);
  const format = spawnSync(
    'java',
    [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (format.error || format.status !== 0) {
    rmSync(layout.home, { recursive: true, force: true });
    throw new Error(
      `formatting KRaft storage failed (${format.error?.message ?? `exit ${format.status}`}):\n` +
        `${format.stdout ?? ''}${format.stderr ?? ''}\n${tail(layout.serverLog)}`,
    );
  }

  const brokers = [`127.0.0.1:${layout.port}`];
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  let child = await launch(layout, jvm, propsFile, options, logger);
  const stop = (): Promise<void> => stopBroker(child, layout.home, stopTimeoutMs, logger);
  logger.info(
    `Apache Kafka ${layout.version} (KRaft) started on ${brokers[0]} in ${Date.now() - startedAt} ms ` +
      `(pid ${child.pid}, logs ${layout.serverLog})`,
  );
  return {
    brokers,
    version: layout.version,
    external: false,
    get pid() {
      return child.pid;
    },
    home: layout.home,
    stop,
    restart: async (whileDown) => {
      await stopBroker(child, undefined, stopTimeoutMs, logger);
      await whileDown?.();
      const again = Date.now();
      child = await launch(layout, jvm, propsFile, options, logger);
      logger.info(
        `Apache Kafka restarted on ${brokers[0]} in ${Date.now() - again} ms (pid ${child.pid})`,
      );
    },
  };
}

/** Spawns the broker on a formatted layout and waits until it answers (stopped and cleaned on failure). */
async function launch(
  layout: BrokerLayout,
  jvm: string[],
  propsFile: string,
  options: LocalKafkaOptions,
  logger: InfraLogger,
): Promise<ChildProcess> {
  const out = openSync(path.join(layout.home, 'stdout.log'), 'a');
  const child = spawn('java', [...jvm, 'kafka.Kafka', propsFile], {
    stdio: ['ignore', out, out],
    detached: options.detached ?? false,
  });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn java (is Java 17+ on PATH?)');
  writeFileSync(
    path.join(layout.home, 'owner.json'),
    JSON.stringify({ owner: process.pid, java: pid }),
  );
  if (options.detached) {
    child.unref();
  } else {
    startWatchdog(pid, 'SIGTERM');
    running.add(child);
    installExitHook();
  }
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `java exited with code ${code}, signal ${signal}`;
    running.delete(child);
  });

  const brokers = [`127.0.0.1:${layout.port}`];
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
    await waitUntilAnswering(brokers, deadline - Date.now(), () => exited);
    await warmUp(brokers, deadline - Date.now(), () => exited);
  } catch (error) {
    // Stop first (the JVM may still be writing), read the logs, then remove the folder.
    await stopBroker(child, undefined, stopTimeoutMs, logger);
    const logs =
      `--- tail of ${layout.serverLog} ---\n${tail(layout.serverLog)}\n` +
      `--- tail of stdout.log ---\n${tail(path.join(layout.home, 'stdout.log'))}`;
    await stopBroker(child, layout.home, stopTimeoutMs, logger);
    throw new Error(
      `Kafka ${layout.version} did not start on ${brokers[0]}: ${(error as Error).message}\n${logs}`,
    );
  }
  return child;
}

/** Polls describeCluster until the broker answers, the process dies, or the time is up. */
async function waitUntilAnswering(
  brokers: string[],
  timeoutMs: number,
  exited: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone) throw new Error(gone);
    const admin = new Kafka({
      clientId: 'lethe-local-infra-probe',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      requestTimeout: 5_000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
      lastError = 'no controller yet';
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(
    `no answer from ${brokers.join(',')} within ${timeoutMs} ms (last error: ${lastError})`,
  );
}

/**
 * Makes the broker create and load its internal topics (consumer offsets, producer ids) now, so
 * that the first consumer group or idempotent producer of a test does not wait and log errors.
 */
async function warmUp(
  brokers: string[],
  timeoutMs: number,
  exited: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const kafka = new Kafka({
    clientId: 'lethe-local-infra-warmup',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
  });
  let lastError = '';
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone) throw new Error(gone);
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await admin.connect();
      const { groups } = await admin.describeGroups(['lethe-local-infra-warmup']);
      if (groups.length !== 1) throw new Error('describeGroups returned nothing');
      await producer.connect();
      return;
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await admin.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    }
    await sleep(200);
  }
  throw new Error(`group/producer coordinators not ready (last error: ${lastError})`);
}

async function stopBroker(
  child: ChildProcess,
  home: string | undefined,
  timeoutMs: number,
  logger: InfraLogger,
): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, timeoutMs))) {
      logger.warn(`Kafka (pid ${child.pid}) did not stop within ${timeoutMs} ms: SIGKILL`);
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
    }
  }
  running.delete(child);
  if (home === undefined) return;
  if (process.env.LETHE_KAFKA_KEEP_LOGS === '1')
    logger.info(`kept ${home} (LETHE_KAFKA_KEEP_LOGS=1)`);
  else rmSync(home, { recursive: true, force: true });
}

/** Stops a broker started with `detached` from another process (the CLI's `stop`). */
export async function stopKafkaByPid(
  pid: number,
  home: string | undefined,
  timeoutMs = 30_000,
): Promise<void> {
  if (isAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    if (!(await waitForPidExit(pid, timeoutMs))) {
      process.kill(pid, 'SIGKILL');
      await waitForPidExit(pid, 5_000);
    }
  }
  if (home) rmSync(home, { recursive: true, force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGTERM');
  });
}

/** Removes `.data/kafka-<port>` folders whose owner process and JVM are both gone. */
function removeStaleBrokerDirs(logger: InfraLogger): void {
  const base = dataDir();
  for (const entry of readdirSync(base)) {
    if (!/^kafka-\d+$/.test(entry)) continue;
    const dir = path.join(base, entry);
    const ownerFile = path.join(dir, 'owner.json');
    if (!existsSync(ownerFile)) continue;
    try {
      const owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as { owner: number; java: number };
      if (isAlive(owner.owner) || isAlive(owner.java)) continue;
    } catch {
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
    logger.info(`removed stale Kafka directory ${dir}`);
  }
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${path.basename(file)})`;
  }
}
