import {
  createIntakeTopics,
  exactlyOnce,
  kafkaPosition,
  startService,
  storedCount,
  StreamPublisher,
  until,
  waitHealthy,
  type Service,
  type Stack,
} from './failure-harness';

/** One event of the stream: its CloudEvent id and its place in the stream. */
export interface StreamEvent {
  readonly id: string;
  readonly index: number;
}

/** A scenario's database and brokers, what else it started, and how to release them. */
export interface ScenarioInfrastructure<X> {
  readonly stack: Stack;
  /** The scenario's own handles (a broker to restart, a server to stop). */
  readonly own: X;
  release(): Promise<void>;
}

/** What a scenario's failure step gets. */
export interface ScenarioContext<X> {
  readonly stack: Stack;
  readonly own: X;
  readonly publisher: StreamPublisher;
  /** The whole stream, `${idPrefix}${i}` for i in 0 … events − 1. */
  readonly ids: readonly StreamEvent[];
  /** The service started before the failure step (absent when `startService` is false). */
  readonly service: Service | undefined;
  /** Registers a service the step starts, so that it is stopped after the test whatever happens. */
  track(service: Service): Service;
}

export interface FailureScenario<X> {
  /** The describe block's title and the test's. */
  readonly title: string;
  readonly test: string;
  readonly events: number;
  readonly idPrefix: string;
  /** Jest timeout of the test (set for the file). */
  readonly timeoutMs: number;
  /** The database and brokers of this scenario, and how to release them at the end. */
  infrastructure(): Promise<ScenarioInfrastructure<X>>;
  /**
   * Start the governance service and wait until it is healthy before the failure step (default
   * true); a scenario that starts its own services (the SIGKILL one) says false.
   */
  readonly startService?: boolean;
  /** Runs before the first service starts (after the topics exist), e.g. to print a seed. */
  prepare?(stack: Stack): Promise<void>;
  /**
   * The failure and its own checks, while the stream is published. Resolves with the service that
   * is running at the end, once the whole stream has been published and acknowledged.
   */
  fail(ctx: ScenarioContext<X>): Promise<Service>;
}

/**
 * The frame every failure test shares (invariants 1 and 2: nothing acknowledged is lost, one
 * effect per request). Before: the scenario's infrastructure, the intake topics, the service
 * (healthy) and a stream publisher. Then the scenario's failure step. After it, the common
 * verdict: the intake group catches up, every event of the stream is exactly one request, none
 * reached the DLQ, and the service is healthy, by itself.
 */
export function runFailureScenario<X>(scenario: FailureScenario<X>): void {
  jest.setTimeout(scenario.timeoutMs);

  describe(scenario.title, () => {
    let infra: ScenarioInfrastructure<X> | undefined;
    let publisher: StreamPublisher | undefined;
    const services: Service[] = [];
    let service: Service | undefined;

    beforeAll(async () => {
      infra = await scenario.infrastructure();
      await createIntakeTopics(infra.stack);
      await scenario.prepare?.(infra.stack);
      if (scenario.startService ?? true) {
        service = await startService(infra.stack);
        services.push(service);
        await waitHealthy(service, 180_000);
      }
      publisher = new StreamPublisher(infra.stack);
    }, 300_000);

    afterAll(async () => {
      await publisher?.close();
      for (const s of services) await s.proc.stop(); // no-op for the ones already killed
      await infra?.release();
    }, 120_000);

    it(scenario.test, async () => {
      const ids = Array.from({ length: scenario.events }, (_, i) => ({
        id: `${scenario.idPrefix}${i}`,
        index: i,
      }));
      const track = (s: Service): Service => {
        services.push(s);
        return s;
      };
      const { stack, own } = infra!;
      const last = await scenario.fail({ stack, own, publisher: publisher!, ids, service, track });

      await until(
        'the intake group caught up',
        () => kafkaPosition(stack),
        (p) => p.lag === 0n,
        240_000,
        1_000,
      );
      const result = await exactlyOnce(
        stack.databaseUrl,
        ids.map((i) => i.id),
      );
      expect(result.missing).toEqual([]);
      expect(result.doubled).toEqual([]);
      expect(result.stored).toBe(scenario.events);
      expect((await kafkaPosition(stack)).dlqMessages).toBe(0n);
      expect(await storedCount(stack.databaseUrl)).toBe(scenario.events);
      await waitHealthy(last, 30_000);
    });
  });
}
