import {
  UNLEARNING_JOB_TYPE_V1,
  type UnlearningJobDataV1,
  type UnlearningJobMessageV1,
} from '@lethe/shared';
import type { OutboxMessage } from '@lethe/event-store';
import { jobAttemptMessage } from './job-message';

/**
 * The outbox row of one job attempt on `lethe.unlearning-jobs.v1`, keyed by modelId so one
 * model's jobs stay in order on one partition. The CloudEvent id is derived from (jobId,
 * attempt): a relay redelivery carries the same id, a retry a new one.
 */
export const unlearningJobMessage = (
  data: UnlearningJobDataV1,
  correlationId: string,
): OutboxMessage =>
  jobAttemptMessage<UnlearningJobMessageV1>(
    UNLEARNING_JOB_TYPE_V1,
    'unlearning-job',
    data,
    correlationId,
  );
