import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { loggerPortOf } from '@lethe/shared/application';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import {
  ProjectionRunner,
  type Projection,
  type ProjectionRunnerOptions,
} from '@lethe/event-store';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../governance.options';
import { LineageStore } from '../ports/lineage-store.port';
import { RecordsStore } from '../ports/records-store.port';
import { resolveLineageProcessManager } from '../commands/resolve-lineage/resolve-lineage.process-manager';
import { CLOCK, type Clock } from '../ports/clock.port';
import { deletionRequestsProjection } from './deletion-requests.projection';
import { jobsProjection } from './jobs.projection';
import { modelsProjection } from './models.projection';

/** Read models, rebuildable from the events. */
export const READ_MODELS = [
  'governance.deletion-requests',
  'governance.models',
  'governance.jobs',
] as const;

/** Runs the read-model projections and the lineage process manager (checkpointed subscriptions). */
@Injectable()
export class GovernanceProjections implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runner: ProjectionRunner;
  private readonly all: readonly Projection[];
  private readonly runnerOptions: ProjectionRunnerOptions;
  private partial: ProjectionRunner | null = null;
  private started = false;

  constructor(
    private readonly dataSource: DataSource,
    records: RecordsStore,
    lineage: LineageStore,
    @Inject(CLOCK) clock: Clock,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
  ) {
    const logger = new Logger('GovernanceProjections');
    this.all = [
      deletionRequestsProjection(),
      modelsProjection(),
      jobsProjection(),
      resolveLineageProcessManager(records, lineage, clock),
    ];
    this.runnerOptions = {
      batchSize: 2000,
      idleDelayMs: 25,
      // Every batch's log lines carry its correlation id (`<projection>:<uuid>`); the events a
      // batch appends carry the correlation id of the event that caused them.
      runInContext: (correlationId, work) => RequestContextStore.run({ correlationId }, work),
      logger: loggerPortOf(logger),
    };
    this.runner = new ProjectionRunner(dataSource, this.all, this.runnerOptions);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.run.projections) return;
    const only = this.options.run.projections;
    if (only === true) {
      await this.runner.start();
      this.started = true;
      return;
    }
    this.partial = new ProjectionRunner(
      this.dataSource,
      this.all.filter((p) => only.includes(p.name)),
      this.runnerOptions,
    );
    await this.partial.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.started) await this.runner.stop();
    await this.partial?.stop();
    this.started = false;
    this.partial = null;
  }
}
