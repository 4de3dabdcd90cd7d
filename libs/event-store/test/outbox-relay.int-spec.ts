import { createTopics } from '@lethe/local-infra/kafka/topics';
import { namespacedTopic, testKafka } from '@lethe/local-infra/testing/test-kafka';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import {
  appendToNewStreams,
  appendToStream,
  enqueueOutbox,
  OUTBOX_ID_HEADER,
  OutboxRelay,
  OutboxUnbuiltRowError,
} from '../src';
import { ev, eventually, openTestStore, type TestStore } from './helpers';

jest.setTimeout(120_000);

interface Got {
  topic: string;
  partition: number;
  key: string;
  seq: number;
  outboxId: string;
}

const JOBS = 'lethe.unlearning-jobs.v1';
const EVENTS = 'lethe.governance-events.v1';

describe('OutboxRelay → Kafka (real broker)', () => {
  const { brokers, namespace } = testKafka();
  const topicName = (t: string): string => namespacedTopic(namespace, t);
  const kafka = new Kafka({
    clientId: `${namespace}relay`,
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 },
  });
  let store: TestStore;
  const consumers: Consumer[] = [];

  beforeEach(async () => {
    store = await openTestStore(); // a fresh outbox per test
  });
  afterEach(async () => {
    await store.close();
  });
  beforeAll(async () => {
    await createTopics(brokers, [
      { topic: topicName(JOBS), numPartitions: 3 },
      { topic: topicName(EVENTS), numPartitions: 2 },
    ]);
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
  });

  async function consume(topics: string[], sink: Got[]): Promise<void> {
    const consumer = kafka.consumer({
      groupId: `${namespace}verify-${consumers.length}`,
      maxWaitTimeInMs: 100,
    });
    consumers.push(consumer);
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = JSON.parse(message.value!.toString()) as { key: string; seq: number };
        sink.push({
          topic,
          partition,
          key: message.key!.toString(),
          seq: value.seq,
          outboxId: message.headers![OUTBOX_ID_HEADER]!.toString(),
        });
      },
    });
  }

  async function unpublished(): Promise<number> {
    const [row] = await store.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL',
    );
    return row!.n;
  }

  /** Per key: every first occurrence of seq s comes after s-1 (duplicates allowed, never reordered or lost). */
  function expectInOrderPerKey(got: readonly Got[], expectedPerKey: Map<string, number>): void {
    const seen = new Map<string, number>();
    for (const m of got) {
      const max = seen.get(`${m.topic}|${m.key}`) ?? 0;
      if (m.seq > max) {
        expect({ key: m.key, seq: m.seq }).toEqual({ key: m.key, seq: max + 1 });
        seen.set(`${m.topic}|${m.key}`, m.seq);
      }
    }
    for (const [key, n] of expectedPerKey) expect([key, seen.get(key)]).toEqual([key, n]);
  }

  it('relays every row at least once, in order per key, and survives a stop mid-way and a restart', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `model-${i}`);
    const perKey = 120;
    // Concurrent writers: one transaction per append, event + job message, keyed by the stream.
    await Promise.all(
      keys.map(async (key) => {
        for (let seq = 1; seq <= perKey; seq++) {
          await store.dataSource.transaction((m) =>
            appendToStream(
              m,
              key,
              seq - 1,
              [ev('JobScheduled', { seq })],
              [
                { topic: JOBS, key, value: { key, seq } },
                ...(seq % 10 === 0 ? [{ topic: EVENTS, key, value: { key, seq: seq / 10 } }] : []),
              ],
            ),
          );
        }
      }),
    );
    const total = keys.length * (perKey + perKey / 10);
    expect(await unpublished()).toBe(total);

    const got: Got[] = [];
    await consume([topicName(JOBS), topicName(EVENTS)], got);

    const first = new OutboxRelay(store.dataSource, kafka, {
      topicName,
      batchSize: 50,
      idleDelayMs: 20,
    });
    await first.start();
    await eventually(() => expect(first.stats.published).toBeGreaterThanOrEqual(200), 60_000, 5);
    await first.stop(); // graceful: the in-flight batch completes
    const left = await unpublished();
    expect(left).toBeGreaterThan(0);
    expect(left).toBe(total - first.stats.published);

    const second = new OutboxRelay(store.dataSource, kafka, {
      topicName,
      batchSize: 200,
      idleDelayMs: 20,
    });
    await second.start();
    try {
      await eventually(async () => expect(await unpublished()).toBe(0), 60_000);
      await eventually(() => expect(new Set(got.map((g) => g.outboxId)).size).toBe(total), 60_000);
    } finally {
      await second.stop();
    }

    const expected = new Map<string, number>();
    for (const key of keys) {
      expected.set(`${topicName(JOBS)}|${key}`, perKey);
      expected.set(`${topicName(EVENTS)}|${key}`, perKey / 10);
    }
    expectInOrderPerKey(got, expected);
    // one key, one partition
    const partitions = new Map<string, Set<number>>();
    for (const g of got) {
      const k = `${g.topic}|${g.key}`;
      partitions.set(k, (partitions.get(k) ?? new Set()).add(g.partition));
    }
    expect([...partitions.values()].every((p) => p.size === 1)).toBe(true);
  });

  it('on a failing send it retries the same rows and never skips to later ones', async () => {
    const missing = 'lethe.not-yet-created.v1';
    await store.dataSource.transaction(async (m) => {
      await enqueueOutbox(m, [{ topic: missing, key: 'k', value: { key: 'k', seq: 1 } }]);
    });
    await store.dataSource.transaction(async (m) => {
      await enqueueOutbox(m, [
        { topic: EVENTS, key: 'after-failure', value: { key: 'after-failure', seq: 1 } },
      ]);
    });
    const logs: string[] = [];
    const relay = new OutboxRelay(store.dataSource, kafka, {
      topicName,
      idleDelayMs: 20,
      retry: { baseDelayMs: 50, maxDelayMs: 200 },
      logger: { info: () => undefined, warn: (m: string) => logs.push(m), error: () => undefined },
    });
    await relay.start();
    try {
      await eventually(() => expect(relay.stats.failures).toBeGreaterThanOrEqual(2), 60_000);
      expect(await unpublished()).toBe(2); // the later row waits behind the failing one
      await createTopics(brokers, [topicName(missing)]);
      await eventually(async () => expect(await unpublished()).toBe(0), 60_000);
    } finally {
      await relay.stop();
    }
    expect(logs.some((l) => l.includes('batch failed'))).toBe(true);
  });

  it('sends a batch larger than the broker takes in one request as several sends, in order', async () => {
    // 600 rows of ~5 KB on one key: one read batch of 3 MB, over the broker's 1 MiB per batch.
    const pad = 'x'.repeat(5_000);
    await store.dataSource.transaction((m) =>
      enqueueOutbox(
        m,
        Array.from({ length: 600 }, (_, i) => ({
          topic: EVENTS,
          key: 'big',
          value: { key: 'big', seq: i + 1, pad },
        })),
      ),
    );
    const got: Got[] = [];
    await consume([topicName(EVENTS)], got);
    const relay = new OutboxRelay(store.dataSource, kafka, { topicName, batchSize: 1000 });
    try {
      expect(await relay.relayOnce()).toBe(600); // one read batch, published whole
    } finally {
      await relay.stop();
    }
    expect(await unpublished()).toBe(0);
    await eventually(() => expect(got.filter((g) => g.key === 'big')).toHaveLength(600), 60_000);
    expectInOrderPerKey(
      got.filter((g) => g.key === 'big'),
      new Map([[`${topicName(EVENTS)}|big`, 600]]),
    );
  });

  it('builds the value of a row that names its event from that event, and never publishes one it cannot build', async () => {
    // Rows naming their events (appendToNewStreams without an outbox value), between plain rows.
    const plain = (seq: number) =>
      store.dataSource.transaction((m) =>
        enqueueOutbox(m, [{ topic: EVENTS, key: 'by-ref', value: { key: 'by-ref', seq } }]),
      );
    await plain(1);
    await store.dataSource.transaction((m) =>
      appendToNewStreams(
        m,
        [
          {
            streamId: 'by-ref',
            events: [ev('Requested', { seq: 2 }), ev('Validated', { seq: 3 })],
          },
        ],
        { outbox: { topic: EVENTS, key: 'e.s', buildable: 'true', headers: "'{}'::jsonb" } },
      ),
    );
    await plain(4);
    const eventValue = {
      [EVENTS]: `'{"key":' || to_json(e.s)::text || ',"seq":' || (e.jdata->'seq')::text || '}'`,
    };
    const got: Got[] = [];
    await consume([topicName(EVENTS)], got);

    // No expression for the topic, or a NULL value: the plain row before them is published, then
    // the relay stops at the first row naming its event and names it; nothing after it goes out.
    const blind = new OutboxRelay(store.dataSource, kafka, { topicName });
    const otherTopic = new OutboxRelay(store.dataSource, kafka, {
      topicName,
      eventValue: { 'lethe.some-other-topic.v1': eventValue[EVENTS] },
    });
    const nulls = new OutboxRelay(store.dataSource, kafka, {
      topicName,
      eventValue: { [EVENTS]: `'{"x":' || (e.jmetadata->'noSuchField')::text || '}'` },
    });
    try {
      expect(await blind.relayOnce()).toBe(1);
      for (const relay of [blind, otherTopic, nulls]) {
        await expect(relay.relayOnce()).rejects.toMatchObject({
          constructor: OutboxUnbuiltRowError,
          reason: 'no-value',
        });
      }
    } finally {
      await blind.stop();
      await otherTopic.stop();
      await nulls.stop();
    }
    expect(await unpublished()).toBe(3);

    const relay = new OutboxRelay(store.dataSource, kafka, { topicName, eventValue });
    try {
      expect(await relay.relayOnce()).toBe(3);
    } finally {
      await relay.stop();
    }
    expect(await unpublished()).toBe(0);
    await eventually(() => expect(got.filter((g) => g.key === 'by-ref')).toHaveLength(4), 60_000);
    expect(got.filter((g) => g.key === 'by-ref').map((g) => g.seq)).toEqual([1, 2, 3, 4]);

    // A row naming an event that is not in its transaction (as a hand-made row would): refused as
    // 'no-event', whatever the expression.
    await store.dataSource.query(
      `INSERT INTO outbox (topic, key, headers, event_position) VALUES ($1, 'lost', '{}'::jsonb, 1)`,
      [EVENTS],
    );
    const strict = new OutboxRelay(store.dataSource, kafka, { topicName, eventValue });
    try {
      await expect(strict.relayOnce()).rejects.toMatchObject({
        constructor: OutboxUnbuiltRowError,
        reason: 'no-event',
      });
    } finally {
      await strict.stop();
    }
    expect(await unpublished()).toBe(1);
    await store.dataSource.query('UPDATE outbox SET published_at = now() WHERE key = $1', ['lost']);
  });

  it('one relay publishes at a time: a second one stands by while the first leads', async () => {
    const send = (seq: number) =>
      store.dataSource.transaction((m) =>
        enqueueOutbox(m, [{ topic: EVENTS, key: 'solo', value: { key: 'solo', seq } }]),
      );
    await send(1);
    const single = new OutboxRelay(store.dataSource, kafka, { topicName });
    expect(await single.relayOnce()).toBe(1); // one batch, one transaction
    expect(await single.relayOnce()).toBe(0);

    await send(2);
    // A leader that, once idle, sleeps long and does not LISTEN: row 3 stays put while it leads.
    const leader = new OutboxRelay(store.dataSource, kafka, {
      topicName,
      idleDelayMs: 60_000,
      listen: false,
    });
    await leader.start();
    try {
      await eventually(() => expect(leader.stats.published).toBe(1), 60_000);
      await send(3);
      expect(await single.relayOnce()).toBe(0); // row 3 is there, but the leader holds the lock
      expect(await unpublished()).toBe(1);
    } finally {
      await leader.stop(); // releases the lock
    }
    expect(await single.relayOnce()).toBe(1);
    await single.stop();
    expect(await unpublished()).toBe(0);
  });
});
