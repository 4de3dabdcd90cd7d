import { Topics, type JobMessageV1 } from '@lethe/shared';
import type { OutboxMessage } from '@lethe/event-store';
import { uuidFromName } from '../ids';
import { CLOUDEVENTS_JSON, GOVERNANCE_SOURCE } from './governance-cloud-event';

/**
 * The outbox row of one job attempt (unlearning or training) on `lethe.unlearning-jobs.v1`, keyed
 * by modelId so one model's jobs stay in order on one partition. The CloudEvent id derives from
 * `idName` (the job kind), jobId and attempt: a relay redelivery carries the same id, a retry a
 * new one.
 */
export const jobAttemptMessage = <M extends JobMessageV1>(
  type: M['type'],
  idName: string,
  data: M['data'],
  correlationId: string,
): OutboxMessage => {
  const value = {
    specversion: '1.0',
    id: uuidFromName(`lethe:${idName}:${data.jobId}:${data.attempt}`),
    source: GOVERNANCE_SOURCE,
    type,
    subject: `model/${data.modelId}`,
    time: data.dispatchedAt,
    datacontenttype: 'application/json',
    data,
  } as M;
  return {
    topic: Topics.unlearningJobs,
    key: data.modelId,
    value,
    headers: { 'content-type': CLOUDEVENTS_JSON, 'lethe-correlation-id': correlationId },
  };
};
