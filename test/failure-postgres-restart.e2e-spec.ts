import { rmSync } from 'node:fs';
import { createDatabase, dataDir, freePort, runMigrations, testKafka } from '@lethe/local-infra';
import {
  healthOf,
  startPostgresProcess,
  storedCount,
  until,
  waitHealthy,
  type PostgresProcess,
} from './support/failure-harness';
import { runFailureScenario } from './support/failure-scenario';

/** The test's own PostgreSQL server: stopped and started again on the same port and data. */
interface OwnPostgres {
  current: PostgresProcess | undefined;
  start(): Promise<PostgresProcess>;
}

/**
 * Invariants 1 and 2 through a database restart: a PostgreSQL server of this test's own (fsync
 * on) is stopped in the middle of a stream of 5,000 deletion events and started again on the same
 * port and data directory. The service (a real child process) is not touched.
 */
runFailureScenario<OwnPostgres>({
  title: 'failure: PostgreSQL stopped and restarted mid-stream',
  test: 'every event ends as exactly one request, none on the DLQ, and the service recovers by itself',
  events: 5000,
  idPrefix: 'pg-restart-',
  timeoutMs: 600_000,
  async infrastructure() {
    const dir = dataDir(`pg-failure-${process.pid}`);
    const port = await freePort();
    const pg: OwnPostgres = {
      current: undefined,
      async start() {
        this.current = await startPostgresProcess(dir, port);
        return this.current;
      },
    };
    const server = await pg.start();
    const url = await createDatabase(server.url, 'lethe_fail_pg');
    await runMigrations(url);
    const kafka = testKafka();
    return {
      // Concurrency 4 (the service's default): the group commit with parallel writers (ADR
      // 0013); the broker-restart test runs concurrency 1.
      stack: {
        databaseUrl: url,
        brokers: kafka.brokers,
        namespace: kafka.namespace,
        intakeConcurrency: 4,
      },
      own: pg,
      async release() {
        await pg.current?.stop();
        rmSync(dir, { recursive: true, force: true });
        rmSync(`${dir}.password`, { force: true });
      },
    };
  },
  async fail({ stack, own: pg, publisher, ids, service }) {
    const N = ids.length;
    const up = service!;
    // ≈ 10 s of stream (100 events every 200 ms); Kafka stays up, so it keeps arriving while the
    // database is down.
    const publishing = publisher.publish(ids, { batch: 100, pauseMs: 200, deadlineMs: 300_000 });
    await until(
      'a third of the stream published and some stored',
      async () => ({ acked: publisher.acked, stored: await storedCount(stack.databaseUrl) }),
      (p) => p.acked >= N / 3 && p.stored > 0,
      180_000,
      100,
    );
    const pid = up.proc.child.pid;

    await pg.current!.stop();
    pg.current = undefined;
    // While the database is down, the service stays alive and says so: 503, database down.
    const down = await until(
      'GET /health reports the database down',
      () => healthOf(up),
      (h) => h.status === 503 && h.body.checks?.database?.status === 'down',
      60_000,
    );
    expect(down.body.status).toBe('degraded');
    await new Promise((r) => setTimeout(r, 3_000)); // a few seconds of outage under load
    expect(up.proc.child.exitCode).toBeNull();
    await pg.start();

    await publishing;
    expect(publisher.acked).toBe(N);
    // Recovery without a hand restart: the same process, health back to up (the whole stream in:
    // runFailureScenario's verdict).
    await waitHealthy(up, 120_000);
    expect(up.proc.child.pid).toBe(pid);
    expect(up.proc.child.exitCode).toBeNull();
    return up;
  },
});
