import {
  consoleLogger,
  createTestDatabase,
  newNamespace,
  startLocalKafka,
} from '@lethe/local-infra';
import { healthOf, storedCount, until, waitHealthy } from './support/failure-harness';
import { runFailureScenario } from './support/failure-scenario';

/**
 * Invariants 1 and 2 through a broker restart: the Kafka broker (its own, not the shared one of
 * the test run) is stopped in the middle of a stream of 5,000 deletion events and started again
 * on the same port with the same data. The service (a real child process) is not touched.
 */
runFailureScenario({
  title: 'failure: the Kafka broker stopped and restarted mid-stream',
  test: 'every event ends as exactly one request, none on the DLQ, and the service recovers by itself',
  events: 5000,
  idPrefix: 'kafka-restart-',
  timeoutMs: 600_000,
  async infrastructure() {
    const db = await createTestDatabase('lethe_fail_kafka');
    const kafka = await startLocalKafka({ useEnv: false, logger: consoleLogger });
    return {
      stack: { databaseUrl: db.url, brokers: kafka.brokers, namespace: newNamespace('fail-kafka') },
      own: kafka,
      async release() {
        await kafka.stop();
        await db.drop();
      },
    };
  },
  async fail({ stack, own: kafka, publisher, ids, service }) {
    const N = ids.length;
    // ≈ 10 s of stream (100 events every 200 ms), so the broker goes down in the middle of it.
    const publishing = publisher.publish(ids, { batch: 100, pauseMs: 200, deadlineMs: 300_000 });

    // Mid-stream: a third published and the service busy taking it in.
    await until(
      'a third of the stream published and some stored',
      async () => ({ acked: publisher.acked, stored: await storedCount(stack.databaseUrl) }),
      (p) => p.acked >= N / 3 && p.stored > 0,
      180_000,
      100,
    );
    const up = service!;
    const pid = up.proc.child.pid;
    let sawIntakeDown = false;
    await kafka.restart!(async () => {
      // While the broker is down the service stays up (its database answers) and says that its
      // intake is down once the consumer notices; a few seconds of outage either way.
      const downUntil = Date.now() + 8_000;
      while (Date.now() < downUntil) {
        const h = await healthOf(up).catch(() => undefined);
        if (h?.body.checks?.intake?.status === 'down') sawIntakeDown = true;
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    expect(publisher.failedSends).toBeGreaterThan(0); // the outage really hit the stream
    await publishing;
    expect(publisher.acked).toBe(N);

    // Recovery without a hand restart: the same process, health back to up (the whole stream in:
    // runFailureScenario's verdict).
    await waitHealthy(up, 120_000);
    expect(up.proc.child.pid).toBe(pid);
    expect(up.proc.child.exitCode).toBeNull();
    // Reported, not asserted: the consumer may ride out a short outage without ever crashing.
    process.stdout.write(
      `kafka restart: ${publisher.failedSends} failed sends retried; intake reported down: ${sawIntakeDown}\n`,
    );
    return up;
  },
});
