import { JobId, ModelId } from '@lethe/shared';
import type { ModelCommand } from '../domain/model/model.commands';
import type { ModelEvent, ModelProfileJson } from '../domain/model/model.events';

/**
 * Test factories for a model that Lethe trains: model `credit-lr` on dataset `credit`, its training
 * job `train-1`, registered at `modelT0`. Not for production code.
 */
export const aModelId = ModelId('credit-lr');
export const aTrainingJobId = JobId('train-1');
export const modelT0 = '2026-11-29T12:00:00.000Z';
export const aTrainingSet = { datasetIds: ['credit'], recordCount: 40, digest: 'sha256:abc' };

/** A profile given at registration, and its validated policy (both absent: none given). */
type WithProfile = { readonly profile?: ModelProfileJson; readonly policy?: ModelProfileJson };

/** The command that registers the model for training by Lethe. */
export const registerModelForTraining = (
  over: WithProfile = {},
): Extract<ModelCommand, { type: 'RegisterModel' }> => ({
  type: 'RegisterModel',
  data: {
    modelId: aModelId,
    name: 'Credit LR',
    description: null,
    trainingSet: aTrainingSet,
    now: modelT0,
    training: { jobId: aTrainingJobId },
    ...over,
  },
});

/** What that command decides: the model registered (no version yet) and version 1's training. */
export const registeredForTraining = (over: WithProfile = {}): ModelEvent[] => [
  {
    type: 'ModelRegistered',
    data: {
      modelId: aModelId,
      name: 'Credit LR',
      description: null,
      registeredAt: modelT0,
      ...over,
    },
  },
  {
    type: 'ModelTrainingScheduled',
    data: {
      modelId: aModelId,
      jobId: aTrainingJobId,
      version: 1,
      trainingSet: aTrainingSet,
      scheduledAt: modelT0,
    },
  },
];
