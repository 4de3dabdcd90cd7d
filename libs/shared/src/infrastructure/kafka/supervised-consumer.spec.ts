import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { silentLogger } from '../../application/logger.port';
import { SupervisedKafkaConsumer, type Disconnectable } from './supervised-consumer';

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

/** A supervisor whose runs each open one resource (a producer) and one fake consumer. */
function supervised(opts: { failFirstConnect?: boolean } = {}) {
  const order: string[] = [];
  const consumers: ReturnType<typeof fakeConsumer>[] = [];
  const resources: Disconnectable[] = [];
  let opens = 0;
  const supervisor = new SupervisedKafkaConsumer({
    name: 'test consumer',
    topic: 'ns.topic',
    logger: silentLogger,
    open: async (own) => {
      opens += 1;
      const n = opens;
      const resource = own({
        disconnect: jest.fn(async () => {
          order.push(`resource ${n}`);
        }),
      });
      resources.push(resource);
      if (opts.failFirstConnect && n === 1) throw new Error('producer connect refused');
      const consumer = fakeConsumer();
      consumer.disconnect.mockImplementation(async () => {
        order.push(`consumer ${n}`);
      });
      consumers.push(consumer);
      return {
        consumer: consumer as unknown as Consumer,
        run: () => consumer.run(),
      };
    },
  });
  return { supervisor, consumers, resources, order };
}

describe('SupervisedKafkaConsumer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('subscribes the consumer to its topic from the beginning, then runs it', async () => {
    const { supervisor, consumers } = supervised();
    await supervisor.start();
    expect(consumers[0]?.subscribe).toHaveBeenCalledWith({
      topic: 'ns.topic',
      fromBeginning: true,
    });
    expect(consumers[0]?.run).toHaveBeenCalledTimes(1);
  });

  it('closes a run’s resources after its consumer, on restart and on stop', async () => {
    const { supervisor, consumers, order } = supervised();
    await supervisor.start();
    consumers[0]?.emit('crash', { error: new Error('gone'), restart: false });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(consumers).toHaveLength(2);
    expect(order).toEqual(['consumer 1', 'resource 1']);
    await supervisor.stop();
    expect(order).toEqual(['consumer 1', 'resource 1', 'consumer 2', 'resource 2']);
    expect(supervisor.health().status).toBe('off');
  });

  it('closes what a failed start opened, and the restart after it opens afresh', async () => {
    const { supervisor, consumers, resources, order } = supervised({ failFirstConnect: true });
    await expect(supervisor.start()).rejects.toThrow('producer connect refused');
    expect(consumers).toHaveLength(0);
    // The caller (or a later crash) decides; a stop closes the half-open run's resource.
    await supervisor.stop();
    expect(order).toEqual(['resource 1']);
    expect(resources).toHaveLength(1);
  });

  it('a failed restart is retried with the next backoff step, down until the group is joined', async () => {
    let failing = false;
    const consumers: ReturnType<typeof fakeConsumer>[] = [];
    const supervisor = new SupervisedKafkaConsumer({
      name: 'test consumer',
      topic: 't',
      logger: silentLogger,
      open: () => {
        if (failing) return Promise.reject(new Error('broker unreachable'));
        const consumer = fakeConsumer();
        consumers.push(consumer);
        return Promise.resolve({
          consumer: consumer as unknown as Consumer,
          run: () => consumer.run(),
        });
      },
    });
    await supervisor.start();
    failing = true;
    consumers[0]?.emit('crash', { error: new Error('fatal'), restart: false });
    await jest.advanceTimersByTimeAsync(1_000); // first restart fails
    expect(supervisor.health()).toMatchObject({ status: 'down', error: 'broker unreachable' });
    failing = false;
    await jest.advanceTimersByTimeAsync(1_999);
    expect(consumers).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1); // second restart, 2 s later, succeeds
    expect(consumers).toHaveLength(2);
    expect(supervisor.health().status).toBe('down');
    consumers[1]?.emit('group-join', {});
    expect(supervisor.health().status).toBe('up');
    await supervisor.stop();
  });
});
