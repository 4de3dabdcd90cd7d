import { createTestDatabase, freePort, testKafka } from '@lethe/local-infra';
import {
  committedButNotStored,
  deletionEvent,
  kafkaPosition,
  PUBLISHER_KEY,
  requestsPerEvent,
  seededRandom,
  sleep,
  startService,
  storedCount,
  until,
  waitHealthy,
  type Service,
} from './support/failure-harness';
import { runFailureScenario } from './support/failure-scenario';

const N = 5000;
const KILLS = 20;
const SLICE = N / KILLS; // 250 events per life of the service
const HTTP_PER_SLICE = 10; // of which these go through POST /v1/deletion-requests

const seed = Number(process.env.LETHE_FAILURE_SEED) || Math.floor(Math.random() * 2 ** 31);
const random = seededRandom(seed);

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

/**
 * Invariants 1 and 2 through crashes: the governance service (a real child process) is SIGKILLed
 * 20 times at random points over one stream of 5,000 deletion events (Kafka and HTTP), and
 * started again each time, as a supervisor would. After every kill, before the restart: every
 * HTTP 202 and every committed Kafka offset is already in the event store. At the end: every
 * event is exactly one request and none went to the DLQ. The kill points come from a seeded PRNG;
 * the seed is printed, and LETHE_FAILURE_SEED=<seed> replays the same schedule.
 */
runFailureScenario<{ port: number }>({
  title: 'failure: the governance service SIGKILLed 20 times over one stream',
  test: 'loses nothing acknowledged and doubles nothing, whatever the kill point',
  events: N,
  idPrefix: 'kill-',
  // Mostly 21 boots of the service (ts-node): minutes on a quiet 2-core machine, far more under load.
  timeoutMs: 1_800_000,
  startService: false,
  async infrastructure() {
    const db = await createTestDatabase('lethe_fail_kill');
    const kafka = testKafka();
    return {
      // Concurrency 4 (the service's default): the group commit with parallel writers (ADR
      // 0013); the broker-restart test runs concurrency 1.
      stack: {
        databaseUrl: db.url,
        brokers: kafka.brokers,
        namespace: kafka.namespace,
        intakeConcurrency: 4,
      },
      own: { port: await freePort() }, // the same port every life, as behind a supervisor
      release: () => db.drop(),
    };
  },
  prepare() {
    process.stdout.write(
      `SIGKILL failure test: seed ${seed} (replay: LETHE_FAILURE_SEED=${seed})\n`,
    );
    return Promise.resolve();
  },
  async fail({ stack, own: { port }, publisher, ids, track }) {
    const url = stack.databaseUrl;
    const httpAcked = new Set<string>();
    const httpToRetry: string[] = [];
    const log: string[] = [];
    let bootMs = 10_000; // the last life's spawn → healthy; boot kills land anywhere within it

    for (let life = 0; life < KILLS; life++) {
      const slice = ids.slice(life * SLICE, (life + 1) * SLICE);
      const viaKafka = slice.slice(0, SLICE - HTTP_PER_SLICE);
      const viaHttp = slice.slice(SLICE - HTTP_PER_SLICE).map((s) => s.id);
      const spawnedAt = Date.now();
      const current = track(await startService(stack, port));
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
        const before = await storedCount(url);
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
          () => storedCount(url),
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
      const stored = await requestsPerEvent(url);
      expect([...httpAcked].filter((id) => !stored.has(id))).toEqual([]);
      const position = await kafkaPosition(stack);
      expect(await committedButNotStored(stack, publisher.offsets, position)).toEqual([]);
      log.push(`kill ${life + 1}: ${where}; stored ${stored.size}, committed lag ${position.lag}`);
      process.stdout.write(`  ${log[log.length - 1]}\n`);
    }

    // The last life runs to the end; HTTP requests that never got their 202 are sent again.
    const last = track(await startService(stack, port));
    await waitHealthy(last, 180_000);
    for (const id of httpToRetry) expect(await post(last, id)).toBe(true);
    process.stdout.write(`SIGKILL failure test (seed ${seed}):\n  ${log.join('\n  ')}\n`);
    return last;
  },
});
