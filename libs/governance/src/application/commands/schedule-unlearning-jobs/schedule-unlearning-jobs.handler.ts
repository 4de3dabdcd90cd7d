import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { DeletionRequestId, JobId, ModelId } from '@lethe/shared';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import { deletionRequestDecider } from '../../../domain/deletion-request/deletion-request.decider';
import { jobDecider } from '../../../domain/job/job.decider';
import type { ExistingJob } from '../../../domain/job/job.state';
import { modelDecider } from '../../../domain/model/model.decider';
import { streams } from '../../../domain/shared/stream-names';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../../governance.options';
import type { MetadataContext } from '@lethe/event-store';
import { jobDatasetsOf } from '../../messages/job-datasets';
import { unlearningJobMessage } from '../../messages/unlearning-job-message';
import {
  runGovernanceTransaction,
  type GovernanceTransaction,
} from '../../unit-of-work/governance-transaction';
import { LineageStore } from '../../ports/lineage-store.port';
import { RecordsStore } from '../../ports/records-store.port';
import { retryTrainingIn } from '../../messages/training-job-dispatch';
import { newJobId } from '../../ids';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import {
  ScheduleUnlearningJobsCommand,
  type SchedulingSummary,
} from './schedule-unlearning-jobs.command';

@CommandHandler(ScheduleUnlearningJobsCommand)
export class ScheduleUnlearningJobsHandler implements ICommandHandler<ScheduleUnlearningJobsCommand> {
  private readonly logger = new Logger('UnlearningScheduler');

  constructor(
    private readonly dataSource: DataSource,
    private readonly lineage: LineageStore,
    private readonly records: RecordsStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
  ) {}

  async execute(): Promise<SchedulingSummary> {
    const { coalesceWindowMs, maxRequestsPerJob } = this.options.scheduling;
    const now = this.clock.now();
    // Candidates come from the read model; the model's decider has the final word.
    const models = await this.dataSource.query<{ model_id: string }[]>(
      `SELECT model_id FROM gov_models_view
        WHERE in_flight_job_id IS NULL
          AND (jsonb_array_length(requeued_job_ids) > 0
               OR oldest_queued_at <= $1::timestamptz
               OR jsonb_array_length(queued_request_ids) >= $2)
        ORDER BY oldest_queued_at NULLS FIRST`,
      [new Date(now.getTime() - coalesceWindowMs).toISOString(), maxRequestsPerJob],
    );
    let jobsOpened = 0;
    for (const { model_id } of models) {
      if (await this.openJob(ModelId(model_id))) jobsOpened += 1;
    }
    const due = await this.dataSource.query<{ job_id: string }[]>(
      `SELECT job_id FROM gov_jobs_view WHERE status = 'retry-wait' AND next_attempt_at <= $1::timestamptz`,
      [now.toISOString()],
    );
    let jobsDispatched = jobsOpened;
    for (const { job_id } of due) {
      const meta = metadataFor(this.clock, `job:${job_id}`, 'system:scheduler');
      const sent = await RequestContextStore.run({ correlationId: meta.correlationId }, () =>
        runGovernanceTransaction(this.dataSource, meta, (tx) => this.dispatch(tx, JobId(job_id))),
      );
      if (sent) jobsDispatched += 1;
    }
    // Training jobs whose retryable failure has waited out its backoff go again.
    const trainings = await this.dataSource.query<{ model_id: string; job_id: string }[]>(
      `SELECT model_id, training->>'jobId' AS job_id FROM gov_models_view
        WHERE training->>'status' = 'retry-wait'
          AND (training->>'nextAttemptAt')::timestamptz <= $1::timestamptz`,
      [now.toISOString()],
    );
    for (const { model_id, job_id } of trainings) {
      const meta = metadataFor(this.clock, `job:${job_id}`, 'system:scheduler');
      const sent = await RequestContextStore.run({ correlationId: meta.correlationId }, () =>
        runGovernanceTransaction(this.dataSource, meta, (tx) =>
          retryTrainingIn(
            tx,
            this.records,
            ModelId(model_id),
            JobId(job_id),
            'scheduler',
            this.clock.now().toISOString(),
          ),
        ),
      );
      if (sent) jobsDispatched += 1;
    }
    return { jobsOpened, jobsDispatched };
  }

  /** Opens (or resumes) a job for the model and dispatches it; false when there was nothing to do. */
  private async openJob(modelId: ModelId): Promise<boolean> {
    const jobId = newJobId();
    const meta = metadataFor(this.clock, `job:${jobId}`, 'system:scheduler');
    // The job's log lines carry the same correlation id as its events and its Kafka message.
    return RequestContextStore.run({ correlationId: meta.correlationId }, () =>
      this.openJobIn(meta, modelId, jobId),
    );
  }

  private openJobIn(meta: MetadataContext, modelId: ModelId, jobId: JobId): Promise<boolean> {
    const { coalesceWindowMs, maxRequestsPerJob, maxAttempts } = this.options.scheduling;
    return runGovernanceTransaction(
      this.dataSource,
      meta,
      async (tx) => {
        const now = this.clock.now().toISOString();
        const { events } = await tx.decide(streams.model(modelId), modelDecider, {
          type: 'OpenUnlearningJob',
          data: { modelId, jobId, now, coalesceWindowMs, maxRequestsPerJob },
        });
        for (const e of events) {
          if (e.type === 'UnlearningJobOpened') {
            const { requestIds, subjectRefs, baseVersion } = e.data;
            await tx.decide(streams.job(jobId), jobDecider, {
              type: 'ScheduleJob',
              data: { jobId, modelId, requestIds, subjectRefs, baseVersion, maxAttempts, now },
            });
            for (const requestId of requestIds) {
              await tx.decide(streams.deletionRequest(requestId), deletionRequestDecider, {
                type: 'ScheduleUnlearning',
                data: { requestId, modelId, jobId, now },
              });
            }
            await this.dispatch(tx, jobId);
            this.logger.log(
              `job ${jobId} opened for model ${modelId} with ${requestIds.length} request(s)`,
            );
            return true;
          }
          if (e.type === 'UnlearningJobResumed') {
            await this.dispatch(tx, e.data.jobId, e.data.baseVersion);
            return true;
          }
        }
        return false;
        // Bulk: model + job + every request stream appended together (appendToStreams).
      },
      {},
      { bulk: true },
    );
  }

  /** DispatchJob + the job message in the outbox (same transaction); false when not due. */
  private async dispatch(
    tx: GovernanceTransaction,
    jobId: JobId,
    baseVersion?: number,
  ): Promise<boolean> {
    const job = await tx.state(streams.job(jobId), jobDecider);
    if (job.status === 'absent') return false;
    const { events, state } = await tx.decide(streams.job(jobId), jobDecider, {
      type: 'DispatchJob',
      data: {
        jobId,
        baseVersion: baseVersion ?? job.baseVersion,
        now: this.clock.now().toISOString(),
      },
    });
    const dispatched = events.find((e) => e.type === 'UnlearningJobDispatched');
    if (!dispatched || state.status === 'absent') return false;
    tx.enqueue([
      await this.jobMessage(tx, state, dispatched.data.attempt, dispatched.data.dispatchedAt),
    ]);
    return true;
  }

  private async jobMessage(
    tx: GovernanceTransaction,
    job: ExistingJob,
    attempt: number,
    dispatchedAt: string,
  ) {
    const records = await this.lineage.recordsToForget(tx.manager, job.modelId, job.requestIds);
    let deadline: string | null = null;
    for (const requestId of job.requestIds) {
      const r = await tx.state(
        streams.deletionRequest(DeletionRequestId(requestId)),
        deletionRequestDecider,
      );
      if (r.status !== 'absent' && (deadline === null || r.deadline < deadline))
        deadline = r.deadline;
    }
    const datasetIds = await this.lineage.datasetsOf(tx.manager, job.modelId, job.baseVersion);
    const datasets = await jobDatasetsOf(tx, [...datasetIds, ...records.map((r) => r.datasetId)]);
    // The policy in force now (a retry carries the policy of its own dispatch).
    const model = await tx.state(streams.model(job.modelId), modelDecider);
    const policy = model.status === 'absent' ? null : (model.policy ?? null);
    return unlearningJobMessage(
      {
        jobId: job.jobId,
        modelId: job.modelId,
        attempt,
        baseVersion: job.baseVersion,
        requestIds: job.requestIds,
        subjectRefs: job.subjectRefs,
        records,
        datasets,
        deadline,
        dispatchedAt,
        ...(policy === null || model.status === 'absent'
          ? {}
          : { policy, policyRevision: model.policyRevision ?? 0 }),
      },
      tx.metadata.correlationId,
    );
  }
}
