import {
  Topics,
  TRAINING_JOB_TYPE_V1,
  type TrainingJobDataV1,
  type TrainingJobMessageV1,
} from '@lethe/shared';
import type { OutboxMessage } from '@lethe/event-store';
import { uuidFromName } from '../ids';
import { CLOUDEVENTS_JSON, GOVERNANCE_SOURCE } from './governance-cloud-event';

/**
 * The outbox row of one training job attempt on `lethe.unlearning-jobs.v1` (type
 * `lethe.training.job.v1`), keyed by modelId like the model's unlearning jobs. The CloudEvent id
 * derives from (jobId, attempt).
 */
export const trainingJobMessage = (
  data: TrainingJobDataV1,
  correlationId: string,
): OutboxMessage => {
  const value: TrainingJobMessageV1 = {
    specversion: '1.0',
    id: uuidFromName(`lethe:training-job:${data.jobId}:${data.attempt}`),
    source: GOVERNANCE_SOURCE,
    type: TRAINING_JOB_TYPE_V1,
    subject: `model/${data.modelId}`,
    time: data.dispatchedAt,
    datacontenttype: 'application/json',
    data,
  };
  return {
    topic: Topics.unlearningJobs,
    key: data.modelId,
    value,
    headers: { 'content-type': CLOUDEVENTS_JSON, 'lethe-correlation-id': correlationId },
  };
};
