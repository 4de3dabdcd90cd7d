import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
} from 'prom-client';

/** Which door an inbound deletion event came through. */
export type IntakeDoor = 'http' | 'kafka';

/**
 * What became of one inbound deletion event: a new request (`accepted`), a repeat of a stored one
 * (`duplicate`), or a refusal with a stable error code (`rejected`: HTTP 4xx, or the DLQ on Kafka).
 */
export type IntakeOutcome = 'accepted' | 'duplicate' | 'rejected';

/** How one job attempt ended, as the worker reports it (the result message's `kind`). */
export type JobOutcome = 'succeeded' | 'trained' | 'failed' | 'needs-retrain' | (string & {});

export interface LetheMetricsOptions {
  /** The `app` label on every series (`governance`, `unlearning-worker`). */
  readonly app: string;
  /** Node.js process metrics (CPU, memory, event-loop lag, GC): on by default. */
  readonly defaultMetrics?: boolean;
}

/** Reads a figure at scrape time (a database count, a consumer lag) and sets gauges from it. */
export type ScrapeSampler = () => Promise<void>;

/**
 * A sampler slower than this is abandoned for this scrape (its gauges keep their last value);
 * under Prometheus' default scrape timeout (10 s).
 */
const SAMPLER_TIMEOUT_MS = 5_000;

/**
 * Lethe's Prometheus metrics, one registry per process (docs/adr/0014-observability.md). Series
 * carry counts and durations only: never an id, a subject, or a figure of the private chain.
 *
 * Counters and histograms are moved by small hooks where things happen:
 * - `intakeEvents.inc({ door, outcome, code })`: deletion-request intake (both doors);
 * - `deadLetters.inc({ topic, code })`: messages published to a DLQ;
 * - `outboxPublished` / `outboxFailures`: the outbox relay (moved to its own running totals with
 *   `advanceTo` at scrape time);
 * - `jobsCompleted.inc({ outcome, method })` and `jobDuration.observe({ outcome }, seconds)`: the
 *   worker, once per finished job attempt (`startJobTimer()` does both).
 *
 * Gauges of state kept elsewhere (jobs by status, queue depth, outbox backlog, consumer lag) are
 * sampled when Prometheus scrapes: `onScrape(sampler)` registers a function that sets them.
 */
export class LetheMetrics {
  readonly registry = new Registry();
  readonly intakeEvents: Counter<'door' | 'outcome' | 'code'>;
  readonly deadLetters: Counter<'topic' | 'code'>;
  readonly outboxPublished: Counter;
  readonly outboxFailures: Counter;
  readonly jobsCompleted: Counter<'outcome' | 'method'>;
  readonly jobDuration: Histogram<'outcome'>;
  readonly jobsByStatus: Gauge<'status'>;
  readonly jobQueueDepth: Gauge;
  readonly outboxBacklog: Gauge;
  readonly consumerLag: Gauge<'group' | 'topic'>;
  readonly scrapeErrors: Counter<'sampler'>;
  private readonly samplers: { name: string; sample: ScrapeSampler }[] = [];
  private readonly seenTotals = new Map<Counter, number>();

  constructor(readonly options: LetheMetricsOptions) {
    this.registry.setDefaultLabels({ app: options.app });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const counter = <L extends string>(c: CounterConfiguration<L>) =>
      new Counter<L>({ ...c, registers });
    this.intakeEvents = counter({
      name: 'lethe_intake_events_total',
      help: 'Inbound deletion events by door and outcome (accepted, duplicate, rejected by code).',
      labelNames: ['door', 'outcome', 'code'],
    });
    this.deadLetters = counter({
      name: 'lethe_dlq_messages_total',
      help: 'Messages published to a dead-letter topic, by topic and error code.',
      labelNames: ['topic', 'code'],
    });
    this.outboxPublished = counter({
      name: 'lethe_outbox_published_total',
      help: 'Outbox rows published to Kafka by this process.',
    });
    this.outboxFailures = counter({
      name: 'lethe_outbox_relay_failures_total',
      help: 'Outbox batches that failed to publish (retried after a backoff).',
    });
    this.jobsCompleted = counter({
      name: 'lethe_jobs_completed_total',
      help: 'Finished job attempts, by outcome (succeeded, trained, failed, needs-retrain) and method.',
      labelNames: ['outcome', 'method'],
    });
    this.jobDuration = new Histogram({
      name: 'lethe_job_duration_seconds',
      help: 'Wall time of one job attempt, from its start to its result, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.jobsByStatus = new Gauge({
      name: 'lethe_jobs',
      help: 'Unlearning and training jobs by status, from the jobs read model.',
      labelNames: ['status'],
      registers,
    });
    this.jobQueueDepth = new Gauge({
      name: 'lethe_job_queue_depth',
      help: 'Jobs scheduled and not finished (awaiting dispatch, dispatched, running, retry-wait).',
      registers,
    });
    this.outboxBacklog = new Gauge({
      name: 'lethe_outbox_backlog',
      help: 'Outbox rows written and not yet published to Kafka.',
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'lethe_consumer_lag_messages',
      help: "Messages on a topic past a consumer group's committed offsets (all partitions).",
      labelNames: ['group', 'topic'],
      registers,
    });
    this.scrapeErrors = counter({
      name: 'lethe_metrics_sampler_errors_total',
      help: 'Scrape-time samplers that failed or timed out (their gauges keep the last value).',
      labelNames: ['sampler'],
    });
  }

  /** Counts `n` inbound events of one door and outcome (`code`: the error code of a rejection). */
  countIntake(door: IntakeDoor, outcome: IntakeOutcome, code = '', n = 1): void {
    if (n > 0) this.intakeEvents.inc({ door, outcome, code }, n);
  }

  /**
   * For the worker: call when a job attempt starts; call the returned function with its outcome
   * when it ends. Counts it in `jobsCompleted` and observes its wall time in `jobDuration`.
   */
  startJobTimer(): (outcome: JobOutcome, method?: string) => void {
    const end = this.jobDuration.startTimer();
    return (outcome, method = '') => {
      end({ outcome });
      this.jobsCompleted.inc({ outcome, method });
    };
  }

  /**
   * Moves a counter up to `total`, a running total kept elsewhere (such as the outbox relay's
   * stats). A total below what the counter has seen (a restarted component) moves nothing.
   */
  advanceTo(counter: Counter, total: number): void {
    const seen = this.seenTotals.get(counter) ?? 0;
    if (total > seen) counter.inc(total - seen);
    this.seenTotals.set(counter, Math.max(seen, total));
  }

  /** Registers a function run before each scrape to set gauges (errors are counted, not thrown). */
  onScrape(name: string, sample: ScrapeSampler): void {
    this.samplers.push({ name, sample });
  }

  /** The exposition text: samplers first (in parallel, each bounded by a timeout), then all series. */
  async scrape(): Promise<string> {
    await Promise.all(this.samplers.map((s) => this.runSampler(s.name, s.sample)));
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async runSampler(name: string, sample: ScrapeSampler): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), SAMPLER_TIMEOUT_MS);
    });
    try {
      await Promise.race([sample(), timeout]);
    } catch {
      this.scrapeErrors.inc({ sampler: name });
    } finally {
      clearTimeout(timer);
    }
  }
}
