import { createTestDatabase, freePort, testKafka, type TestDatabase } from '@lethe/local-infra';
import {
  committedButNotStored,
  createIntakeTopics,
  deletionEvent,
  exactlyOnce,
  kafkaPosition,
  PUBLISHER_KEY,
  requestsPerEvent,
  seededRandom,
  sleep,
  startService,
  storedCount,
  StreamPublisher,
  until,
  waitHealthy,
  type Service,
  type Stack,
} from './support/failure-harness';

// Mostly 21 boots of the service (ts-node): minutes on a quiet 2-core machine, far more under load.
jest.setTimeout(1_800_000);

const N = 5000;
const KILLS = 20;
const SLICE = N / KILLS; // 250 events per life of the service
const HTTP_PER_SLICE = 10; // of which these go through POST /v1/deletion-requests

/**
 * Invariants 1 and 2 through crashes: the governance service (a real child process) is SIGKILLed
 * 20 times at random points over one stream of 5,000 deletion events (Kafka and HTTP), and
 * started again each time, as a supervisor would. After every kill, before the restart: every
 * HTTP 202 and every committed Kafka offset is already in the event store. At the end: every
 * event is exactly one request and none went to the DLQ. The kill points come from a seeded PRNG;
 * the seed is printed, and LETHE_FAILURE_SEED=<seed> replays the same schedule.
 */
describe('failure: the governance service SIGKILLed 20 times over one stream', () => {
  let db: TestDatabase;
  let stack: Stack;
  let publisher: StreamPublisher;
  let service: Service | undefined;
  let port: number;
  const seed = Number(process.env.LETHE_FAILURE_SEED) || Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);

  beforeAll(async () => {
    process.stdout.write(
      `SIGKILL failure test: seed ${seed} (replay: LETHE_FAILURE_SEED=${seed})\n`,
    );
    db = await createTestDatabase('lethe_fail_kill');
    const kafka = testKafka();
    stack = { databaseUrl: db.url, brokers: kafka.brokers, namespace: kafka.namespace };
    await createIntakeTopics(stack);
    publisher = new StreamPublisher(stack);
    port = await freePort(); // the same port every life, as behind a supervisor
  }, 120_000);

  afterAll(async () => {
    await publisher?.close();
    await service?.proc.stop();
    await db?.drop();
  }, 120_000);

  const post = async (service: Service, id: string): Promise<boolean> => {
    try {
      const res = await fetch(`${service.base}/v1/deletion-requests`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${PUBLISHER_KEY}`,
          'content-type': 'application/cloudevents+json',
        },
        body: JSON.stringify(deletionEvent(id)),
        signal: AbortSignal.timeout(30_000),
      });
      return res.status === 202;
    } catch {
      return false; // killed mid-request: not acknowledged, the publisher will retry
    }
  };

  it('loses nothing acknowledged and doubles nothing, whatever the kill point', async () => {
    const ids = Array.from({ length: N }, (_, i) => ({ id: `kill-${i}`, index: i }));
    const httpAcked = new Set<string>();
    const httpToRetry: string[] = [];
    const log: string[] = [];
    let bootMs = 10_000; // the last life's spawn → healthy; boot kills land anywhere within it

    for (let life = 0; life < KILLS; life++) {
      const slice = ids.slice(life * SLICE, (life + 1) * SLICE);
      const viaKafka = slice.slice(0, SLICE - HTTP_PER_SLICE);
      const viaHttp = slice.slice(SLICE - HTTP_PER_SLICE).map((s) => s.id);
      const spawnedAt = Date.now();
      service = await startService(stack, port);
      const current = service;
      const duringBoot = random() < 0.25;
      let where: string;
      let publishing: Promise<void>;
      let posting: Promise<void> = Promise.resolve();
      if (duringBoot) {
        // Anywhere in the start-up: compiling, module init, consumer group join, first batches.
        const delay = Math.round(random() * bootMs);
        publishing = publisher.publish(viaKafka, { batch: 40, pauseMs: 100, deadlineMs: 120_000 });
        httpToRetry.push(...viaHttp);
        await sleep(delay);
        where = `${delay} ms after spawn`;
      } else {
        await waitHealthy(current, 180_000);
        bootMs = Date.now() - spawnedAt;
        const before = await storedCount(db.url);
        // The slice arrives over ≈ 1 s on both doors while the service takes it in.
        publishing = publisher.publish(viaKafka, { batch: 40, pauseMs: 150, deadlineMs: 120_000 });
        posting = (async () => {
          for (const id of viaHttp) {
            if (await post(current, id)) httpAcked.add(id);
            else httpToRetry.push(id);
            await sleep(80);
          }
        })();
        // Kill while it works: once this life has stored something, after a random delay.
        await until(
          'this life stores something',
          () => storedCount(db.url),
          (n) => n > before,
          120_000,
          50,
        );
        const delay = Math.round(random() * 1_500);
        await sleep(delay);
        where = `${delay} ms into processing (up after ${Date.now() - spawnedAt - delay} ms)`;
      }
      current.proc.child.kill('SIGKILL');
      expect(await current.proc.exited).toBeNull(); // killed by the signal, no exit code
      expect(current.proc.child.signalCode).toBe('SIGKILL');
      await publishing;
      await posting;

      // Invariant 1 at the instant of the crash: everything acknowledged is already durable.
      const stored = await requestsPerEvent(db.url);
      expect([...httpAcked].filter((id) => !stored.has(id))).toEqual([]);
      const position = await kafkaPosition(stack);
      expect(await committedButNotStored(stack, publisher.offsets, position)).toEqual([]);
      log.push(`kill ${life + 1}: ${where}; stored ${stored.size}, committed lag ${position.lag}`);
      process.stdout.write(`  ${log[log.length - 1]}\n`);
    }

    // The last life runs to the end; HTTP requests that never got their 202 are sent again.
    service = await startService(stack, port);
    await waitHealthy(service, 180_000);
    for (const id of httpToRetry) expect(await post(service, id)).toBe(true);
    await until(
      'the intake group caught up',
      () => kafkaPosition(stack),
      (p) => p.lag === 0n,
      240_000,
      1_000,
    );
    process.stdout.write(`SIGKILL failure test (seed ${seed}):\n  ${log.join('\n  ')}\n`);

    const result = await exactlyOnce(
      db.url,
      ids.map((i) => i.id),
    );
    expect(result.missing).toEqual([]);
    expect(result.doubled).toEqual([]);
    expect(result.stored).toBe(N);
    expect((await kafkaPosition(stack)).dlqMessages).toBe(0n);
    await waitHealthy(service, 30_000);
  });
});
