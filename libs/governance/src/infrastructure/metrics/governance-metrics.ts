import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Topics } from '@lethe/shared';
import { namespacedTopic } from '@lethe/shared/infrastructure/kafka';
import {
  type ConsumerLagProbe,
  LetheMetrics,
  sampleConsumerLag,
} from '@lethe/shared/infrastructure/metrics';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../governance.options';
import type { JobStatus } from '../../domain/job/job.state';
import { GovernanceOutboxRelay } from '../messaging/outbox-relay.service';

const JOB_STATUSES: readonly JobStatus[] = [
  'awaiting-dispatch',
  'dispatched',
  'running',
  'retry-wait',
  'succeeded',
  'failed',
  'needs-retrain',
];

/** Scheduled and not finished: the queue of unlearning and training work. */
const QUEUED: ReadonlySet<string> = new Set<JobStatus>([
  'awaiting-dispatch',
  'dispatched',
  'running',
  'retry-wait',
]);

/**
 * The governance service's scrape-time figures (docs/adr/0014-observability.md): jobs by status
 * and the queue depth from the jobs read model, the outbox backlog and the relay's totals, and
 * the intake consumer group's lag. Registers nothing when the app has no MetricsModule.
 */
@Injectable()
export class GovernanceMetrics implements OnModuleInit, BeforeApplicationShutdown {
  private lag: ConsumerLagProbe | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: GovernanceOutboxRelay,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
    @Optional() private readonly metrics?: LetheMetrics,
  ) {}

  onModuleInit(): void {
    const metrics = this.metrics;
    if (!metrics) return;
    metrics.onScrape('jobs', () => this.sampleJobs(metrics));
    metrics.onScrape('outbox', () => this.sampleOutbox(metrics));
    const { brokers, clientId, namespace, intakeGroupId } = this.options.kafka;
    this.lag = sampleConsumerLag(metrics, {
      brokers,
      clientId,
      groupId: namespacedTopic(namespace, intakeGroupId),
      topic: namespacedTopic(namespace, Topics.deletionRequests),
      labels: { group: intakeGroupId, topic: Topics.deletionRequests },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.lag?.close();
  }

  private async sampleJobs(metrics: LetheMetrics): Promise<void> {
    const rows = await this.dataSource.query<{ status: string; n: number }[]>(
      'SELECT status, count(*)::int AS n FROM gov_jobs_view GROUP BY status',
    );
    const byStatus = new Map<string, number>(JOB_STATUSES.map((s) => [s, 0]));
    for (const r of rows) byStatus.set(r.status, r.n);
    let queued = 0;
    for (const [status, n] of byStatus) {
      metrics.jobsByStatus.set({ status }, n);
      if (QUEUED.has(status)) queued += n;
    }
    metrics.jobQueueDepth.set(queued);
  }

  private async sampleOutbox(metrics: LetheMetrics): Promise<void> {
    const stats = this.outbox.relay.stats;
    metrics.advanceTo(metrics.outboxPublished, stats.published);
    metrics.advanceTo(metrics.outboxFailures, stats.failures);
    const [row] = await this.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL',
    );
    metrics.outboxBacklog.set(row?.n ?? 0);
  }
}
