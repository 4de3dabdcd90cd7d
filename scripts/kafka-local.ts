/**
 * Local Apache Kafka broker for development and the demo.
 *
 *   kafka-local resolve [--version X]            download the broker jars into .cache/kafka/<version>/libs
 *   kafka-local start [--port N] [--version X] [--detach]
 *                                                start a KRaft broker on 127.0.0.1 (foreground until
 *                                                Ctrl-C; --detach leaves it running and returns)
 *   kafka-local stop                             stop the broker a detached start left running
 *
 * Run with `ts-node -r tsconfig-paths/register --transpile-only scripts/kafka-local.ts ...`
 * (npm run kafka:resolve | kafka:start | kafka:stop).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  dataDir,
  isPidAlive,
  kafkaVersion,
  resolveKafka,
  startLocalKafka,
  stopKafkaByPid,
} from '@lethe/local-infra';

interface StateFile {
  pid: number;
  brokers: string[];
  version: string;
  home: string;
}

const stateFile = (): string => dataDir('kafka-local.json');

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function readState(): StateFile | undefined {
  if (!existsSync(stateFile())) return undefined;
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as StateFile;
}

async function resolve(): Promise<void> {
  const resolved = await resolveKafka(option('version') ?? kafkaVersion());
  console.log(`Apache Kafka ${resolved.version}: ${resolved.libsDir}`);
}

async function start(): Promise<void> {
  const existing = readState();
  if (existing && isPidAlive(existing.pid)) {
    console.log(
      `already running: KAFKA_BROKERS=${existing.brokers.join(',')} (pid ${existing.pid})`,
    );
    return;
  }
  const detached = process.argv.includes('--detach');
  const port = option('port');
  const kafka = await startLocalKafka({
    useEnv: false,
    version: option('version'),
    port: port ? Number(port) : undefined,
    detached,
  });
  if (kafka.pid === undefined || kafka.home === undefined) throw new Error('no broker process');
  writeFileSync(
    stateFile(),
    JSON.stringify({
      pid: kafka.pid,
      brokers: kafka.brokers,
      version: kafka.version,
      home: kafka.home,
    }),
  );
  console.log(`KAFKA_BROKERS=${kafka.brokers.join(',')}`);
  if (detached) {
    console.log('running in the background; stop it with `npm run kafka:stop`');
    return;
  }
  console.log('Ctrl-C stops it');
  await new Promise<void>((done) => {
    const stop = (): void => {
      void kafka.stop().finally(() => {
        rmSync(stateFile(), { force: true });
        done();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function stop(): Promise<void> {
  const state = readState();
  if (!state) {
    console.log('no local broker recorded in .data/kafka-local.json');
    return;
  }
  await stopKafkaByPid(state.pid, state.home);
  rmSync(stateFile(), { force: true });
  console.log(`stopped Kafka ${state.version} (pid ${state.pid})`);
}

const commands: Record<string, () => Promise<void>> = { resolve, start, stop };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  console.error('usage: kafka-local resolve|start|stop [--version X] [--port N] [--detach]');
  process.exit(2);
}
command().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
