import { rmSync } from 'node:fs';
import { createDatabase, dataDir, freePort, runMigrations, testKafka } from '@lethe/local-infra';
import {
  createIntakeTopics,
  exactlyOnce,
  healthOf,
  kafkaPosition,
  startPostgresProcess,
  startService,
  storedCount,
  StreamPublisher,
  until,
  waitHealthy,
  type PostgresProcess,
  type Service,
  type Stack,
} from './support/failure-harness';

jest.setTimeout(600_000);

const N = 5000;

/**
 * Invariants 1 and 2 through a database restart: a PostgreSQL server of this test's own (fsync
 * on) is stopped in the middle of a stream of 5,000 deletion events and started again on the same
 * port and data directory. The service (a real child process) is not touched.
 */
describe('failure: PostgreSQL stopped and restarted mid-stream', () => {
  const dir = dataDir(`pg-failure-${process.pid}`);
  let port: number;
  let pg: PostgresProcess | undefined;
  let stack: Stack;
  let service: Service;
  let publisher: StreamPublisher;
  const startPg = () => startPostgresProcess(dir, port);

  beforeAll(async () => {
    port = await freePort();
    pg = await startPg();
    const url = await createDatabase(pg.url, 'lethe_fail_pg');
    await runMigrations(url);
    const kafka = testKafka();
    stack = { databaseUrl: url, brokers: kafka.brokers, namespace: kafka.namespace };
    await createIntakeTopics(stack);
    service = await startService(stack);
    await waitHealthy(service, 180_000);
    publisher = new StreamPublisher(stack);
  }, 300_000);

  afterAll(async () => {
    await publisher?.close();
    await service?.proc.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.password`, { force: true });
  }, 120_000);

  it('every event ends as exactly one request, none on the DLQ, and the service recovers by itself', async () => {
    const ids = Array.from({ length: N }, (_, i) => ({ id: `pg-restart-${i}`, index: i }));
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
    const pid = service.proc.child.pid;

    await pg!.stop();
    pg = undefined;
    // While the database is down, the service stays alive and says so: 503, database down.
    const down = await until(
      'GET /health reports the database down',
      () => healthOf(service),
      (h) => h.status === 503 && h.body.checks?.database?.status === 'down',
      60_000,
    );
    expect(down.body.status).toBe('degraded');
    await new Promise((r) => setTimeout(r, 3_000)); // a few seconds of outage under load
    expect(service.proc.child.exitCode).toBeNull();
    pg = await startPg();

    await publishing;
    expect(publisher.acked).toBe(N);
    // Recovery without a hand restart: the same process, health back to up, the whole stream in.
    await waitHealthy(service, 120_000);
    await until(
      'the intake group caught up',
      () => kafkaPosition(stack),
      (p) => p.lag === 0n,
      240_000,
      1_000,
    );
    expect(service.proc.child.pid).toBe(pid);
    expect(service.proc.child.exitCode).toBeNull();

    const result = await exactlyOnce(
      stack.databaseUrl,
      ids.map((i) => i.id),
    );
    expect(result.missing).toEqual([]);
    expect(result.doubled).toEqual([]);
    expect(result.stored).toBe(N);
    expect((await kafkaPosition(stack)).dlqMessages).toBe(0n);
    expect(await storedCount(stack.databaseUrl)).toBe(N);
    await waitHealthy(service, 30_000);
  });
});
