import {
  Topics,
  UNLEARNING_JOB_TYPE_V1,
  type UnlearningJobDataV1,
  type UnlearningJobMessageV1,
} from '@lethe/shared';
import type { OutboxMessage } from '@lethe/event-store';
import { uuidFromName } from '../ids';
import { CLOUDEVENTS_JSON, GOVERNANCE_SOURCE } from './governance-cloud-event';

/**
 * The outbox row of one job attempt on `lethe.unlearning-jobs.v1`, keyed by modelId so one
 * model's jobs stay in order on one partition. The CloudEvent id is derived from (jobId,
 * attempt): a relay redelivery carries the same id, a retry a new one.
 */
export const unlearningJobMessage = (
  data: UnlearningJobDataV1,
  correlationId: string,
): OutboxMessage => {
  const value: UnlearningJobMessageV1 = {
    specversion: '1.0',
    id: uuidFromName(`lethe:unlearning-job:${data.jobId}:${data.attempt}`),
    source: GOVERNANCE_SOURCE,
    type: UNLEARNING_JOB_TYPE_V1,
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
