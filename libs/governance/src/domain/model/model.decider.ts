import { assertNever, type Decider } from '../shared/decider';
import { GovernanceError } from '../governance.errors';
import type { ModelCommand } from './model.commands';
import type { ModelEvent } from './model.events';
import {
  evolveModel,
  initialModelState,
  type ModelState,
  type RegisteredModel,
} from './model.state';

const registered = (state: ModelState, modelId: string): RegisteredModel => {
  if (state.status === 'absent') {
    throw new GovernanceError('MODEL_NOT_FOUND', `model ${modelId} is not registered`, { modelId });
  }
  return state;
};

export const decideModel = (command: ModelCommand, state: ModelState): readonly ModelEvent[] => {
  switch (command.type) {
    case 'RegisterModel': {
      const { modelId, name, description, trainingSet, now } = command.data;
      if (state.status !== 'absent') {
        throw new GovernanceError('MODEL_ALREADY_REGISTERED', `model ${modelId} already exists`, {
          modelId,
        });
      }
      if (trainingSet.recordCount === 0) {
        throw new GovernanceError('EMPTY_TRAINING_SET', 'a model version needs training records', {
          modelId,
        });
      }
      return [
        { type: 'ModelRegistered', data: { modelId, name, description, registeredAt: now } },
        {
          type: 'ModelVersionRegistered',
          data: {
            modelId,
            version: 1,
            parentVersion: null,
            origin: 'registration',
            jobId: null,
            trainingSet,
            registeredAt: now,
          },
        },
      ];
    }

    case 'RegisterModelVersion': {
      const s = registered(state, command.data.modelId);
      const { modelId, version, origin, jobId, trainingSet, now } = command.data;
      if (version !== s.currentVersion + 1) {
        throw new GovernanceError(
          'MODEL_VERSION_CONFLICT',
          `next version of ${modelId} is ${s.currentVersion + 1}, not ${version}`,
          { modelId, version, currentVersion: s.currentVersion },
        );
      }
      return [
        {
          type: 'ModelVersionRegistered',
          data: {
            modelId,
            version,
            parentVersion: s.currentVersion,
            origin,
            jobId,
            trainingSet,
            registeredAt: now,
          },
        },
      ];
    }

    case 'QueueDeletion': {
      const s = registered(state, command.data.modelId);
      const { modelId, requestId, subjectRef, now } = command.data;
      if (s.queue.some((q) => q.requestId === requestId)) return [];
      return [{ type: 'DeletionQueued', data: { modelId, requestId, subjectRef, queuedAt: now } }];
    }

    case 'OpenUnlearningJob': {
      const s = registered(state, command.data.modelId);
      const { modelId, jobId, now, coalesceWindowMs, maxRequestsPerJob } = command.data;
      if (s.inFlightJobId !== null) return [];
      const requeued = s.requeuedJobIds[0];
      if (requeued !== undefined) {
        return [
          {
            type: 'UnlearningJobResumed',
            data: { modelId, jobId: requeued, baseVersion: s.currentVersion, resumedAt: now },
          },
        ];
      }
      const oldest = s.queue[0];
      if (oldest === undefined) return [];
      const windowClosed = Date.parse(oldest.queuedAt) + coalesceWindowMs <= Date.parse(now);
      if (!windowClosed && s.queue.length < maxRequestsPerJob) return [];
      const batch = s.queue.slice(0, maxRequestsPerJob);
      return [
        {
          type: 'UnlearningJobOpened',
          data: {
            modelId,
            jobId,
            requestIds: batch.map((q) => q.requestId),
            subjectRefs: [...new Set(batch.map((q) => q.subjectRef))],
            baseVersion: s.currentVersion,
            openedAt: now,
          },
        },
      ];
    }

    case 'CloseUnlearningJob': {
      const s = registered(state, command.data.modelId);
      const { modelId, jobId, outcome, newVersion, now } = command.data;
      if (s.inFlightJobId !== jobId) return [];
      const closed: ModelEvent = {
        type: 'UnlearningJobClosed',
        data: { modelId, jobId, outcome, closedAt: now },
      };
      if (outcome !== 'succeeded' || newVersion === null) return [closed];
      if (newVersion.version <= s.currentVersion) {
        throw new GovernanceError(
          'MODEL_VERSION_CONFLICT',
          `job ${jobId} released version ${newVersion.version}, but ${modelId} is at ${s.currentVersion}`,
          { modelId, jobId, version: newVersion.version, currentVersion: s.currentVersion },
        );
      }
      return [
        {
          type: 'ModelVersionRegistered',
          data: {
            modelId,
            version: newVersion.version,
            parentVersion: s.currentVersion,
            origin: 'unlearning',
            jobId,
            trainingSet: newVersion.trainingSet,
            registeredAt: now,
          },
        },
        closed,
      ];
    }

    case 'RequeueUnlearningJob': {
      const s = registered(state, command.data.modelId);
      const { modelId, jobId, now } = command.data;
      if (s.inFlightJobId === jobId || s.requeuedJobIds.includes(jobId)) return [];
      return [{ type: 'UnlearningJobRequeued', data: { modelId, jobId, requeuedAt: now } }];
    }

    default:
      return assertNever(command);
  }
};

export const modelDecider: Decider<ModelCommand, ModelEvent, ModelState> = {
  decide: decideModel,
  evolve: evolveModel,
  initialState: initialModelState,
};
