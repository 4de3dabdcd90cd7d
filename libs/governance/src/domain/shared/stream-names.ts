import type { DatasetId, DeletionRequestId, JobId, ModelId } from '@lethe/shared';

/**
 * Stream naming (ADR 0005): one stream per aggregate instance, `<category>-<id>`. The category
 * is what projections and the outbox route on.
 */
export const StreamCategory = {
  deletionRequest: 'deletion_request',
  model: 'model',
  dataset: 'dataset',
  job: 'unlearning_job',
} as const;

export type StreamCategory = (typeof StreamCategory)[keyof typeof StreamCategory];

export const streamName = {
  deletionRequest: (id: DeletionRequestId): string => `${StreamCategory.deletionRequest}-${id}`,
  model: (id: ModelId): string => `${StreamCategory.model}-${id}`,
  dataset: (id: DatasetId): string => `${StreamCategory.dataset}-${id}`,
  job: (id: JobId): string => `${StreamCategory.job}-${id}`,
};
