import type { DatasetId, DeletionRequestId, JobId, ModelId } from '@lethe/shared';

/**
 * Stream naming (ADR 0005): one stream per aggregate instance, `<category>-<id>`. The category
 * is the CloudEvents `letheaggregatetype`; the id is the Kafka key of its governance events.
 */
export const StreamCategory = {
  deletionRequest: 'deletion_request',
  model: 'model',
  dataset: 'dataset',
  job: 'unlearning_job',
} as const;

export type StreamCategory = (typeof StreamCategory)[keyof typeof StreamCategory];

export interface StreamTarget {
  readonly streamId: string;
  readonly aggregateType: StreamCategory;
  readonly aggregateId: string;
}

const target = (aggregateType: StreamCategory, aggregateId: string): StreamTarget => ({
  streamId: `${aggregateType}-${aggregateId}`,
  aggregateType,
  aggregateId,
});

export const streams = {
  deletionRequest: (id: DeletionRequestId) => target(StreamCategory.deletionRequest, id),
  model: (id: ModelId) => target(StreamCategory.model, id),
  dataset: (id: DatasetId) => target(StreamCategory.dataset, id),
  job: (id: JobId) => target(StreamCategory.job, id),
};

/** The aggregate id part of a stream id. */
export const aggregateIdOf = (streamId: string): string =>
  streamId.slice(streamId.indexOf('-') + 1);
