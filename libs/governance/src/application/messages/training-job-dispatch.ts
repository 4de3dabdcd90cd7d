import type { JobId, ModelId } from '@lethe/shared';
import type { OutboxMessage } from '@lethe/event-store';
import type { RecordRef } from '../../domain/deletion-request/scope';
import type { RecordsStore } from '../ports/records-store.port';
import type { GovernanceTransaction } from '../unit-of-work/governance-transaction';
import { modelDecider } from '../../domain/model/model.decider';
import { streams } from '../../domain/shared/stream-names';
import { jobDatasetsOf } from './job-datasets';
import { trainingJobMessage } from './training-job-message';

/**
 * The outbox message of one attempt of a model's training job: the datasets with their registered
 * sources as they are now, the records named at registration, the profile given at registration,
 * and every erased record of those datasets as `excludedRecords` (read now, so that a retry also
 * excludes what was erased in between): the worker never reads an erased subject's rows.
 */
export const trainingJobDispatch = async (
  tx: GovernanceTransaction,
  records: RecordsStore,
  job: {
    readonly jobId: JobId;
    readonly modelId: ModelId;
    readonly attempt: number;
    readonly datasetIds: readonly string[];
    readonly records: readonly RecordRef[];
    readonly profile: Readonly<Record<string, unknown>>;
    readonly now: string;
  },
): Promise<OutboxMessage> => {
  const datasets = await jobDatasetsOf(tx, job.datasetIds);
  const excludedRecords = await records.erasedIn(tx.manager, job.datasetIds);
  return trainingJobMessage(
    {
      jobId: job.jobId,
      modelId: job.modelId,
      attempt: job.attempt,
      version: 1,
      datasets,
      records: job.records.map((r) => ({ datasetId: r.datasetId, recordId: r.recordId })),
      ...(excludedRecords.length > 0 ? { excludedRecords } : {}),
      profile: job.profile,
      dispatchedAt: job.now,
    },
    tx.metadata.correlationId,
  );
};

/**
 * `RetryTraining` on the model (the scheduler's once a retryable failure's backoff is over, or an
 * ml-admin's) and, when it retried, the next attempt's message in the outbox of the same
 * transaction. Returns whether a retry was dispatched.
 */
export const retryTrainingIn = async (
  tx: GovernanceTransaction,
  records: RecordsStore,
  modelId: ModelId,
  jobId: JobId,
  requestedBy: string,
  now: string,
): Promise<boolean> => {
  const { events, state } = await tx.decide(streams.model(modelId), modelDecider, {
    type: 'RetryTraining',
    data: { modelId, jobId, requestedBy, now },
  });
  const retried = events.find((e) => e.type === 'ModelTrainingRetried');
  if (!retried || retried.type !== 'ModelTrainingRetried' || state.status === 'absent') {
    return false;
  }
  const training = state.training;
  if (!training) return false;
  tx.enqueue([
    await trainingJobDispatch(tx, records, {
      jobId,
      modelId,
      attempt: retried.data.attempt,
      datasetIds: training.datasetIds ?? training.trainingSet.datasetIds,
      records: training.records ?? [],
      profile: state.profile ?? {},
      now,
    }),
  ]);
  return true;
};
