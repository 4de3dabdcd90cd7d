import {
  TRAINING_JOB_TYPE_V1,
  type TrainingJobDataV1,
  type TrainingJobMessageV1,
} from '@lethe/shared';
import type { OutboxMessage } from '@lethe/event-store';
import { jobAttemptMessage } from './job-message';

/**
 * The outbox row of one training job attempt on `lethe.unlearning-jobs.v1` (type
 * `lethe.training.job.v1`), keyed by modelId like the model's unlearning jobs. The CloudEvent id
 * derives from (jobId, attempt).
 */
export const trainingJobMessage = (data: TrainingJobDataV1, correlationId: string): OutboxMessage =>
  jobAttemptMessage<TrainingJobMessageV1>(
    TRAINING_JOB_TYPE_V1,
    'training-job',
    data,
    correlationId,
  );
