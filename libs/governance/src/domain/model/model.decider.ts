import { backoffCeilingMs } from '@lethe/shared';
import { canonicalJson } from '@lethe/shared/domain';
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
      const { modelId, name, description, trainingSet, now, training, profile, policy } =
        command.data;
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
      const registeredEvent: ModelEvent = {
        type: 'ModelRegistered',
        data: {
          modelId,
          name,
          description,
          registeredAt: now,
          ...(profile === undefined ? {} : { profile }),
          ...(policy === undefined ? {} : { policy }),
        },
      };
      if (training) {
        // Lethe trains version 1: it exists once the worker's `trained` result is recorded.
        return [
          registeredEvent,
          {
            type: 'ModelTrainingScheduled',
            data: {
              modelId,
              jobId: training.jobId,
              version: 1,
              trainingSet,
              scheduledAt: now,
              ...(training.datasetIds ? { datasetIds: training.datasetIds } : {}),
              ...(training.records ? { records: training.records } : {}),
            },
          },
        ];
      }
      return [
        registeredEvent,
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

    case 'RecordTrainingResult': {
      const s = registered(state, command.data.modelId);
      const { modelId, jobId, attempt, outcome, now } = command.data;
      const training = s.training;
      if (!training || training.jobId !== jobId) {
        throw new GovernanceError(
          'JOB_NOT_FOUND',
          `model ${modelId} has no training job ${jobId}`,
          {
            modelId,
            jobId,
          },
        );
      }
      if (training.status === 'trained') return [];
      if (outcome.kind === 'failed') {
        // Only the current attempt's failure counts, once (a stale or repeated one is dropped).
        if (training.status !== 'scheduled' || attempt !== (training.attempt ?? 1)) return [];
        const retry = command.data.retry;
        const retries = outcome.retryable === true && retry && attempt < retry.maxAttempts;
        const nextAttemptAt = retries
          ? new Date(Date.parse(now) + backoffCeilingMs(attempt, retry.backoff)).toISOString()
          : null;
        return [
          {
            type: 'ModelTrainingFailed',
            data: {
              modelId,
              jobId,
              attempt,
              reason: outcome.reason,
              failedAt: now,
              ...(nextAttemptAt === null ? {} : { nextAttemptAt }),
            },
          },
        ];
      }
      if (outcome.version !== training.version || s.currentVersion >= outcome.version) {
        throw new GovernanceError(
          'MODEL_VERSION_CONFLICT',
          `training job ${jobId} reported version ${outcome.version}; ${modelId} expects ${training.version}`,
          { modelId, jobId, version: outcome.version, currentVersion: s.currentVersion },
        );
      }
      return [
        {
          type: 'ModelVersionRegistered',
          data: {
            modelId,
            version: outcome.version,
            parentVersion: null,
            origin: 'training',
            jobId,
            trainingSet: training.trainingSet,
            registeredAt: now,
            weightsDigest: outcome.digest,
            metrics: outcome.metrics,
          },
        },
      ];
    }
    case 'ChangeModelPolicy': {
      const s = registered(state, command.data.modelId);
      const { modelId, policy, now } = command.data;
      // The same policy again is a no-op (an idempotent PUT), compared as canonical JSON.
      if (s.policy && canonicalJson(s.policy) === canonicalJson(policy)) return [];
      return [
        {
          type: 'ModelPolicyChanged',
          data: { modelId, revision: (s.policyRevision ?? 0) + 1, policy, changedAt: now },
        },
      ];
    }
    case 'RetryTraining': {
      const s = registered(state, command.data.modelId);
      const { modelId, jobId, requestedBy, now } = command.data;
      const training = s.training;
      if (!training || training.jobId !== jobId) {
        throw new GovernanceError(
          'JOB_NOT_FOUND',
          `model ${modelId} has no training job ${jobId}`,
          {
            modelId,
            jobId,
          },
        );
      }
      const due =
        training.status === 'retry-wait' &&
        training.nextAttemptAt != null &&
        Date.parse(training.nextAttemptAt) <= Date.parse(now);
      if (requestedBy === 'scheduler') {
        if (!due) return [];
      } else if (training.status !== 'failed' && training.status !== 'retry-wait') {
        throw new GovernanceError(
          'JOB_NOT_RETRYABLE',
          `training job ${jobId} is ${training.status}; only a failed training is retried`,
          { modelId, jobId, status: training.status },
        );
      }
      return [
        {
          type: 'ModelTrainingRetried',
          data: {
            modelId,
            jobId,
            attempt: (training.attempt ?? 1) + 1,
            requestedBy,
            retriedAt: now,
          },
        },
      ];
    }
    case 'RecordTrainingProgress': {
      const s = registered(state, command.data.modelId);
      const { modelId, jobId, attempt, progress, minIntervalMs, now } = command.data;
      const training = s.training;
      if (!training || training.jobId !== jobId) return [];
      if (training.status !== 'scheduled' || attempt !== (training.attempt ?? 1)) return [];
      const last = training.progress;
      if (last && last.attempt === attempt) {
        if (progress.seq <= last.seq) return [];
        const completesStage = progress.total !== null && progress.done >= progress.total;
        const tooSoon = Date.parse(now) - Date.parse(last.at) < minIntervalMs;
        if (progress.stage === last.stage && tooSoon && !completesStage) return [];
      }
      return [
        {
          type: 'ModelTrainingProgressed',
          data: { modelId, jobId, attempt, ...progress, reportedAt: now },
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
      // A model Lethe is still training has no version to unlearn from yet: requests wait.
      if (s.currentVersion === 0) return [];
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
            ...(newVersion.weightsDigest === undefined
              ? {}
              : { weightsDigest: newVersion.weightsDigest }),
            ...(newVersion.certificateId == null
              ? {}
              : { certificateId: newVersion.certificateId }),
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
