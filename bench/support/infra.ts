import { randomBytes } from 'node:crypto';
import {
  createDatabase,
  runMigrations,
  silentLogger,
  startLocalKafka,
  startLocalPostgres,
  type LocalKafka,
  type LocalPostgres,
} from '@lethe/local-infra';

export interface BenchInfra {
  readonly postgres: LocalPostgres;
  readonly kafka: LocalKafka | undefined;
  /** A fresh database with every migration applied. */
  freshDatabase(label: string): Promise<string>;
  stop(): Promise<void>;
}

/** Real PostgreSQL (and Kafka when asked) for a benchmark run; DATABASE_URL / KAFKA_BROKERS win. */
export async function startBenchInfra(opts: { kafka: boolean }): Promise<BenchInfra> {
  const [postgres, kafka] = await Promise.all([
    // fsync stays on (fast: false): the figures are for a durable server, as users run it.
    startLocalPostgres({ logger: silentLogger, fast: false }),
    opts.kafka ? startLocalKafka({ logger: silentLogger }) : Promise.resolve(undefined),
  ]);
  return {
    postgres,
    kafka,
    async freshDatabase(label) {
      const name = `bench_${label}_${randomBytes(3).toString('hex')}`;
      const url = await createDatabase(postgres.url, name);
      await runMigrations(url);
      return url;
    },
    async stop() {
      await kafka?.stop();
      await postgres.stop();
    },
  };
}

/** Runs `fn` `repeats` times and returns the median of its wall time in ms. */
export async function medianMs(repeats: number, fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

/** Prints a Markdown table. */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

export const perSecond = (n: number, ms: number): number => Math.round(n / (ms / 1000));
