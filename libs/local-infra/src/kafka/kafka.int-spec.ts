import { Kafka, Partitioners, logLevel, type Consumer, type Producer } from 'kafkajs';
import { namespacedTopic, testKafka } from '../testing/test-kafka';
import { createTopics } from './topics';

jest.setTimeout(90_000);

interface Received {
  key: string;
  value: string;
  offset: string;
  header?: string;
}

describe('local Kafka (real broker from the global setup) with kafkajs', () => {
  const { brokers, namespace, version } = testKafka();
  const kafka = new Kafka({ clientId: `${namespace}test`, brokers, logLevel: logLevel.WARN });
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    console.log(`Kafka under test: ${version} at ${brokers.join(',')} (namespace ${namespace})`);
    producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
    });
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await producer?.disconnect();
  });

  async function consume(topic: string, groupId: string, sink: Received[]): Promise<Consumer> {
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 250, // disconnect() waits for the fetch in flight
    });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
        sink.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          offset: message.offset,
          header: message.headers?.['lethe-test']?.toString(),
        });
        await consumer.commitOffsets([
          { topic: t, partition, offset: String(Number(message.offset) + 1) },
        ]);
      },
    });
    return consumer;
  }

  async function produce(topic: string, values: string[]): Promise<void> {
    await producer.send({
      topic,
      acks: -1,
      messages: values.map((value) => ({
        key: `k-${value}`,
        value,
        headers: { 'lethe-test': `h-${value}` },
      })),
    });
  }

  async function committedOffset(groupId: string, topic: string): Promise<string | undefined> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets[0]?.partitions.find((p) => p.partition === 0)?.offset;
    } finally {
      await admin.disconnect();
    }
  }

  it('round-trips messages with keys and headers', async () => {
    const topic = namespacedTopic(namespace, 'roundtrip');
    await createTopics(brokers, [topic]);
    await produce(topic, ['one', 'two', 'three']);
    const received: Received[] = [];
    await consume(topic, namespacedTopic(namespace, 'roundtrip-group'), received);
    await waitFor(
      () => received.length >= 3,
      30_000,
      () => `received ${JSON.stringify(received)}`,
    );
    expect(received).toEqual([
      { key: 'k-one', value: 'one', offset: '0', header: 'h-one' },
      { key: 'k-two', value: 'two', offset: '1', header: 'h-two' },
      { key: 'k-three', value: 'three', offset: '2', header: 'h-three' },
    ]);
  });

  it('resumes a consumer group from its committed offset: nothing lost, nothing read twice', async () => {
    const topic = namespacedTopic(namespace, 'resume');
    const groupId = namespacedTopic(namespace, 'resume-group');
    await createTopics(brokers, [topic]);
    const first = ['a0', 'a1', 'a2', 'a3', 'a4'];
    const second = ['b0', 'b1', 'b2', 'b3', 'b4'];

    await produce(topic, first);
    const run1: Received[] = [];
    const consumer1 = await consume(topic, groupId, run1);
    await waitFor(
      () => run1.length >= first.length,
      30_000,
      () => `run 1 got ${run1.length}`,
    );
    await consumer1.disconnect();
    expect(run1.map((m) => m.value)).toEqual(first);
    expect(await committedOffset(groupId, topic)).toBe('5');

    await produce(topic, second); // produced while nobody in the group is consuming
    const run2: Received[] = [];
    await consume(topic, groupId, run2);
    await waitFor(
      () => run2.length >= second.length,
      30_000,
      () => `run 2 got ${JSON.stringify(run2)}`,
    );
    await new Promise((r) => setTimeout(r, 1_000)); // room for any (wrong) extra delivery
    expect(run2.map((m) => m.value)).toEqual(second);
    expect(run2.map((m) => m.offset)).toEqual(['5', '6', '7', '8', '9']);
    // The last commit may still be in flight when the last message is recorded: wait for it.
    await waitFor(
      async () => (await committedOffset(groupId, topic)) === '10',
      30_000,
      () => "the group's committed offset never reached 10",
    );
  });

  it('does not auto-create topics', async () => {
    const topic = namespacedTopic(namespace, 'never-created');
    const strict = new Kafka({
      clientId: `${namespace}strict`,
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 100 },
    }).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    await strict.connect();
    try {
      await expect(strict.send({ topic, messages: [{ value: 'x' }] })).rejects.toThrow(
        /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/i,
      );
    } finally {
      await strict.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
  });
});

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
