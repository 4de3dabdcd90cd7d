import {
  consoleLogger,
  createTestDatabase,
  newNamespace,
  startLocalKafka,
  type LocalKafka,
  type TestDatabase,
} from '@lethe/local-infra';
import {
  createIntakeTopics,
  exactlyOnce,
  healthOf,
  kafkaPosition,
  startService,
  storedCount,
  StreamPublisher,
  until,
  waitHealthy,
  type Service,
  type Stack,
} from './support/failure-harness';

jest.setTimeout(600_000);

const N = 5000;

/**
 * Invariants 1 and 2 through a broker restart: the Kafka broker (its own, not the shared one of
 * the test run) is stopped in the middle of a stream of 5,000 deletion events and started again
 * on the same port with the same data. The service (a real child process) is not touched.
 */
describe('failure: the Kafka broker stopped and restarted mid-stream', () => {
  let kafka: LocalKafka;
  let db: TestDatabase;
  let stack: Stack;
  let service: Service;
  let publisher: StreamPublisher;

  beforeAll(async () => {
    db = await createTestDatabase('lethe_fail_kafka');
    kafka = await startLocalKafka({ useEnv: false, logger: consoleLogger });
    stack = { databaseUrl: db.url, brokers: kafka.brokers, namespace: newNamespace('fail-kafka') };
    await createIntakeTopics(stack);
    service = await startService(stack);
    await waitHealthy(service, 180_000);
    publisher = new StreamPublisher(stack);
  }, 300_000);

  afterAll(async () => {
    await publisher?.close();
    await service?.proc.stop();
    await kafka?.stop();
    await db?.drop();
  }, 120_000);

  it('every event ends as exactly one request, none on the DLQ, and the service recovers by itself', async () => {
    const ids = Array.from({ length: N }, (_, i) => ({ id: `kafka-restart-${i}`, index: i }));
    // ≈ 10 s of stream (100 events every 200 ms), so the broker goes down in the middle of it.
    const publishing = publisher.publish(ids, { batch: 100, pauseMs: 200, deadlineMs: 300_000 });

    // Mid-stream: a third published and the service busy taking it in.
    await until(
      'a third of the stream published and some stored',
      async () => ({ acked: publisher.acked, stored: await storedCount(db.url) }),
      (p) => p.acked >= N / 3 && p.stored > 0,
      180_000,
      100,
    );
    const pid = service.proc.child.pid;
    let sawIntakeDown = false;
    await kafka.restart!(async () => {
      // While the broker is down the service stays up (its database answers) and says that its
      // intake is down once the consumer notices; a few seconds of outage either way.
      const downUntil = Date.now() + 8_000;
      while (Date.now() < downUntil) {
        const h = await healthOf(service).catch(() => undefined);
        if (h?.body.checks?.intake?.status === 'down') sawIntakeDown = true;
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    expect(publisher.failedSends).toBeGreaterThan(0); // the outage really hit the stream
    await publishing;
    expect(publisher.acked).toBe(N);

    // Recovery without a hand restart: the same process, health back to up, the whole stream in.
    await until(
      'the intake group caught up',
      () => kafkaPosition(stack),
      (p) => p.lag === 0n,
      240_000,
      1_000,
    );
    await waitHealthy(service, 120_000);
    expect(service.proc.child.pid).toBe(pid);
    expect(service.proc.child.exitCode).toBeNull();

    const result = await exactlyOnce(
      db.url,
      ids.map((i) => i.id),
    );
    expect(result.missing).toEqual([]);
    expect(result.doubled).toEqual([]);
    expect(result.stored).toBe(N);
    expect((await kafkaPosition(stack)).dlqMessages).toBe(0n);
    // Reported, not asserted: the consumer may ride out a short outage without ever crashing.
    process.stdout.write(
      `kafka restart: ${publisher.failedSends} failed sends retried; intake reported down: ${sawIntakeDown}\n`,
    );
  });
});
