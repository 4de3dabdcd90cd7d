import type { Producer } from 'kafkajs';
import {
  Topics,
  UNLEARNING_RESULT_TYPE_V1,
  unlearningResultMessageId,
  type UnlearningResultDataV1,
  type UnlearningResultMessageV1,
} from '@lethe/shared';
import type { ResultSink } from '../../application/jobs/job-ports';

/** The CloudEvent of one result (docs/contracts.md §2.1): id `jobId/attempt/kind[/seq]`. */
export const resultMessage = (data: UnlearningResultDataV1): UnlearningResultMessageV1 => ({
  specversion: '1.0',
  id: unlearningResultMessageId(data),
  source: `urn:lethe:unlearning-worker:${data.workerId}`,
  type: UNLEARNING_RESULT_TYPE_V1,
  subject: data.modelId,
  time: data.at,
  datacontenttype: 'application/json',
  data,
});

/**
 * Publishes results on lethe.unlearning-results.v1 (key = modelId, acks from all in-sync
 * replicas, an idempotent producer): `publish` resolves once the broker has the message.
 */
export class KafkaResultSink implements ResultSink {
  constructor(
    private readonly producer: Producer,
    private readonly namespace = '',
  ) {}

  async publish(result: UnlearningResultDataV1): Promise<void> {
    await this.producer.send({
      topic: `${this.namespace}${Topics.unlearningResults}`,
      acks: -1,
      messages: [
        {
          key: result.modelId,
          value: JSON.stringify(resultMessage(result)),
          headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
        },
      ],
    });
  }
}
