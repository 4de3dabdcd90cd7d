import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { deletionRequestDecider } from '../../../domain/deletion-request/deletion-request.decider';
import type { DeletionRequestCommand } from '../../../domain/deletion-request/deletion-request.commands';
import { jobDecider } from '../../../domain/job/job.decider';
import type { JobEvent } from '../../../domain/job/job.events';
import type { ExistingJob } from '../../../domain/job/job.state';
import { modelDecider } from '../../../domain/model/model.decider';
import { streams } from '../../../domain/shared/stream-names';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../../governance.options';
import {
  runGovernanceTransaction,
  type GovernanceTransaction,
} from '../../unit-of-work/governance-transaction';
import { LineageStore } from '../../ports/lineage-store.port';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { RecordJobResultCommand } from './record-job-result.command';

/**
 * Job stream first (the decider checks the attempt and makes repeats no-ops), then what follows
 * from the new job events, in the same transaction: requests move to unlearning / unlearned (with
 * the certificate's method and the policy's choice) / failed / needs-retrain; a terminal job closes the model's slot; a success registers the released
 * model version with its lineage (previous training set minus the forgotten records).
 */
@CommandHandler(RecordJobResultCommand)
export class RecordJobResultHandler implements ICommandHandler<RecordJobResultCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly lineage: LineageStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
  ) {}

  async execute(c: RecordJobResultCommand) {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const now = this.clock.now().toISOString();
      const { events, state } = await tx.decide(streams.job(c.jobId), jobDecider, {
        type: 'RecordJobResult',
        data: {
          jobId: c.jobId,
          attempt: c.attempt,
          result: c.result,
          backoff: this.options.scheduling.backoff,
          now,
        },
      });
      if (state.status === 'absent')
        throw new Error('unreachable: job decider accepted an absent job');
      for (const event of events) await this.follow(tx, state, event, now);
      return { jobId: c.jobId, status: state.status };
    });
  }

  private async follow(tx: GovernanceTransaction, job: ExistingJob, event: JobEvent, now: string) {
    const { jobId, modelId } = job;
    const toRequests = async (
      make: (requestId: ExistingJob['requestIds'][number]) => DeletionRequestCommand,
    ) => {
      for (const requestId of job.requestIds) {
        await tx.decide(
          streams.deletionRequest(requestId),
          deletionRequestDecider,
          make(requestId),
        );
      }
    };
    switch (event.type) {
      case 'UnlearningJobStarted':
        return toRequests((requestId) => ({
          type: 'StartUnlearning',
          data: { requestId, modelId, jobId, now },
        }));
      case 'UnlearningJobSucceeded': {
        const { versionAfter, certificateId, digestAfter, method, policy } = event.data;
        // A no-op certificate: nothing of the subjects was in the model, the version stays.
        const unchanged = method === 'no-op' || versionAfter === job.baseVersion;
        const newVersion = unchanged
          ? null
          : {
              version: versionAfter,
              trainingSet: await this.lineage.deriveVersionWithout(
                tx.manager,
                modelId,
                job.baseVersion,
                versionAfter,
                job.requestIds,
              ),
              ...(digestAfter === undefined ? {} : { weightsDigest: digestAfter }),
              certificateId,
            };
        await tx.decide(streams.model(modelId), modelDecider, {
          type: 'CloseUnlearningJob',
          data: { modelId, jobId, outcome: 'succeeded', newVersion, now },
        });
        return toRequests((requestId) => ({
          type: 'RecordModelOutcome',
          data: {
            requestId,
            modelId,
            jobId,
            outcome: 'unlearned',
            reason: null,
            versionAfter,
            certificateId,
            // The method and the policy's choice reach each request's history.
            method: method ?? null,
            policy: policy ?? null,
            now,
          },
        }));
      }
      case 'UnlearningJobFailed':
      case 'UnlearningJobNeedsRetrain': {
        const outcome = event.type === 'UnlearningJobFailed' ? 'failed' : 'needs-retrain';
        await tx.decide(streams.model(modelId), modelDecider, {
          type: 'CloseUnlearningJob',
          data: { modelId, jobId, outcome, newVersion: null, now },
        });
        return toRequests((requestId) => ({
          type: 'RecordModelOutcome',
          data: {
            requestId,
            modelId,
            jobId,
            outcome,
            reason: event.data.reason,
            versionAfter: null,
            certificateId: null,
            now,
          },
        }));
      }
      default:
        return undefined;
    }
  }
}
