import { HealthIndicatorService } from '@nestjs/terminus';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, testKafka } from '@lethe/local-infra';
import { consumerLag } from '../metrics/consumer-lag';
import { KafkaHealthIndicator } from './kafka-health.indicator';

/** The readiness probe and the lag sampler against the real test broker, and against nothing. */
describe('Kafka readiness probe and consumer lag (real broker)', () => {
  const indicator = new KafkaHealthIndicator(new HealthIndicatorService());

  it('is up when the cluster answers', async () => {
    const { brokers } = testKafka();
    expect(await indicator.isReachable('kafka', { brokers, clientId: 'probe-test' })).toEqual({
      kafka: { status: 'up', brokers: 1, latencyMs: expect.any(Number) },
    });
  });

  it('is down, with the reason, when nothing listens on the broker port', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const result = await indicator.isReachable('kafka', {
      brokers: [closed],
      clientId: 'probe-test',
      timeoutMs: 1_000,
    });
    expect(result).toEqual({ kafka: { status: 'down', error: expect.any(String) } });
  }, 30_000);

  it('measures the lag of a group: everything before it commits, nothing after', async () => {
    const { brokers, namespace } = testKafka();
    const topic = `${namespace}lag-topic`;
    const groupId = `${namespace}lag-group`;
    const kafka = new Kafka({ clientId: 'lag-test', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 5 }, (_, i) => ({ partition: i % 2, value: `m${i}` })),
      });
      await producer.disconnect();
      const options = { brokers, clientId: 'lag-test', groupId, topic };
      expect(await consumerLag(options)).toBe(5);
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
      });
      expect(await consumerLag(options)).toBe(0);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 60_000);
});
