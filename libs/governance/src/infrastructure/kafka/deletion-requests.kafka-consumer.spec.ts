import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import type { Kafka } from 'kafkajs';
import { resolveGovernanceOptions } from '../../governance.options';
import { systemClock } from '../../application/ports/clock.port';
import { DeletionRequestsKafkaConsumer, chunkSizeFor } from './deletion-requests.kafka-consumer';

/** A kafkajs consumer stand-in: records its calls and lets the test emit instrumentation events. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  return {
    events: { GROUP_JOIN: 'group-join', CRASH: 'crash' },
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    emit: (event: string, payload: unknown) => emitter.emit(event, { payload }),
    connect: jest.fn(async () => undefined),
    subscribe: jest.fn(async () => undefined),
    run: jest.fn(async () => undefined),
    disconnect: jest.fn(async () => undefined),
  };
}

function kafkaWithConsumers() {
  const consumers: ReturnType<typeof fakeConsumer>[] = [];
  const kafka = {
    consumer: jest.fn(() => {
      const c = fakeConsumer();
      consumers.push(c);
      return c;
    }),
    producer: jest.fn(() => ({
      connect: jest.fn(async () => undefined),
      disconnect: jest.fn(async () => undefined),
    })),
  };
  return { kafka: kafka as unknown as Kafka, consumers };
}

const intake = (kafka: Kafka) =>
  new DeletionRequestsKafkaConsumer(
    kafka,
    resolveGovernanceOptions({
      kafka: { brokers: ['127.0.0.1:9'] },
      subjectHmacKey: 'unit-test-hmac-key-0123456789abcdef0123',
    }),
    {} as CommandBus,
    systemClock,
  );

/** Lets pending promise callbacks (the restart's disconnect/connect chain) run. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('DeletionRequestsKafkaConsumer recovery and health', () => {
  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is starting until it joins its group, then up', async () => {
    const { kafka, consumers } = kafkaWithConsumers();
    const consumer = intake(kafka);
    expect(consumer.health().status).toBe('off');
    await consumer.start();
    expect(consumer.health().status).toBe('starting');
    consumers[0]?.emit('group-join', {});
    expect(consumer.health().status).toBe('up');
  });

  it('is down after a crash kafkajs restarts itself, and does not start a second consumer', async () => {
    const { kafka, consumers } = kafkaWithConsumers();
    const consumer = intake(kafka);
    await consumer.start();
    consumers[0]?.emit('group-join', {});
    consumers[0]?.emit('crash', { error: new Error('broker gone'), restart: true });
    expect(consumer.health()).toMatchObject({ status: 'down', error: 'broker gone' });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumers).toHaveLength(1);
    consumers[0]?.emit('group-join', {}); // kafkajs' own restart re-joined
    expect(consumer.health().status).toBe('up');
  });

  it('restarts the consumer itself, with backoff, when kafkajs gives up', async () => {
    const { kafka, consumers } = kafkaWithConsumers();
    const consumer = intake(kafka);
    await consumer.start();
    consumers[0]?.emit('crash', { error: new Error('not retriable'), restart: false });
    expect(consumer.health().status).toBe('down');
    await jest.advanceTimersByTimeAsync(999);
    expect(consumers).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    await settle();
    expect(consumers[0]?.disconnect).toHaveBeenCalled();
    expect(consumers).toHaveLength(2);
    expect(consumers[1]?.run).toHaveBeenCalledTimes(1);
    // The new one crashes too: the next try waits twice as long.
    consumers[1]?.emit('crash', { error: new Error('again'), restart: false });
    await jest.advanceTimersByTimeAsync(1_999);
    expect(consumers).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    await settle();
    expect(consumers).toHaveLength(3);
    consumers[2]?.emit('group-join', {});
    expect(consumer.health().status).toBe('up');
  });

  it('never restarts after stop()', async () => {
    const { kafka, consumers } = kafkaWithConsumers();
    const consumer = intake(kafka);
    await consumer.start();
    const first = consumers[0];
    await consumer.stop();
    first?.emit('crash', { error: new Error('late'), restart: false });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumers).toHaveLength(1);
    expect(consumer.health().status).toBe('off');
  });
});

describe('chunkSizeFor (ADR 0013, parallel writers)', () => {
  it('slices so that one chunk of each partition fits a round of 5,000, never below 1', () => {
    expect(chunkSizeFor(1, 4)).toBe(5000);
    expect(chunkSizeFor(4, 4)).toBe(1250);
    for (const c of [2, 3, 6, 7, 9, 11, 12]) {
      expect(chunkSizeFor(c, 4) * c).toBeLessThanOrEqual(5000);
      expect(chunkSizeFor(c, 4) * (c + 1)).toBeGreaterThan(5000);
    }
    expect(chunkSizeFor(10_000, 4)).toBe(1);
  });

  it('keeps 5,000 when rounds are never split', () => {
    expect(chunkSizeFor(4, 1)).toBe(5000);
  });
});
