import type { DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import { assertNever } from '../shared/decider';
import type { ModelEvent, ModelProfileJson, TrainingSetSummary } from './model.events';

export interface QueuedDeletion {
  readonly requestId: DeletionRequestId;
  readonly subjectRef: SubjectRef;
  readonly queuedAt: string;
}

export interface RegisteredModel {
  readonly status: 'registered';
  readonly modelId: ModelId;
  readonly name: string;
  readonly description: string | null;
  readonly registeredAt: string;
  readonly currentVersion: number;
  /** Requests waiting for the next job, oldest first. */
  readonly queue: readonly QueuedDeletion[];
  /** At most one job in flight per model (docs/contracts.md §1). */
  readonly inFlightJobId: JobId | null;
  /** Jobs an admin retried, waiting for the slot (served before new work). */
  readonly requeuedJobIds: readonly JobId[];
  /** When Lethe trains the model: its training job (absent for models trained elsewhere). */
  readonly training?: ModelTraining | null;
  /** SHA-256 (hex) of the released weights per version, where Lethe's worker reported them. */
  readonly weightsDigests?: Readonly<Record<string, string>>;
  /** The training profile given at registration (validated), when Lethe trains the model. */
  readonly profile?: ModelProfileJson | null;
  /**
   * The current unlearning policy (validated, defaults filled in) and its revision: 0 is the
   * registered one, each `ModelPolicyChanged` adds 1. Null: none known (the worker's defaults).
   */
  readonly policy?: ModelProfileJson | null;
  readonly policyRevision?: number;
}

export interface ModelTraining {
  readonly jobId: JobId;
  readonly version: number;
  readonly status: 'scheduled' | 'trained' | 'failed';
  readonly trainingSet: TrainingSetSummary;
  readonly reason: string | null;
}

export type ModelState = { readonly status: 'absent' } | RegisteredModel;

/** The policy part of a registered profile (an object), or null. */
const policyOf = (profile: ModelProfileJson | undefined): ModelProfileJson | null => {
  const p = profile?.policy;
  return p !== null && typeof p === 'object' && !Array.isArray(p) ? (p as ModelProfileJson) : null;
};

export const initialModelState = (): ModelState => ({ status: 'absent' });

export const evolveModel = (state: ModelState, event: ModelEvent): ModelState => {
  if (event.type === 'ModelRegistered') {
    if (state.status !== 'absent') return state;
    return {
      status: 'registered',
      modelId: event.data.modelId,
      name: event.data.name,
      description: event.data.description,
      registeredAt: event.data.registeredAt,
      currentVersion: 0,
      queue: [],
      inFlightJobId: null,
      requeuedJobIds: [],
      training: null,
      profile: event.data.profile ?? null,
      policy: policyOf(event.data.profile),
      policyRevision: 0,
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'ModelVersionRegistered': {
      const training =
        state.training &&
        event.data.origin === 'training' &&
        event.data.jobId === state.training.jobId
          ? { ...state.training, status: 'trained' as const, reason: null }
          : (state.training ?? null);
      const digest = event.data.weightsDigest;
      return {
        ...state,
        currentVersion: Math.max(state.currentVersion, event.data.version),
        training,
        ...(digest === undefined
          ? {}
          : { weightsDigests: { ...state.weightsDigests, [String(event.data.version)]: digest } }),
      };
    }
    case 'ModelPolicyChanged':
      return { ...state, policy: event.data.policy, policyRevision: event.data.revision };
    case 'ModelTrainingScheduled':
      return {
        ...state,
        training: {
          jobId: event.data.jobId,
          version: event.data.version,
          status: 'scheduled',
          trainingSet: event.data.trainingSet,
          reason: null,
        },
      };
    case 'ModelTrainingFailed':
      return state.training?.jobId === event.data.jobId
        ? { ...state, training: { ...state.training, status: 'failed', reason: event.data.reason } }
        : state;
    case 'DeletionQueued':
      return {
        ...state,
        queue: [
          ...state.queue,
          {
            requestId: event.data.requestId,
            subjectRef: event.data.subjectRef,
            queuedAt: event.data.queuedAt,
          },
        ],
      };
    case 'UnlearningJobOpened': {
      const taken = new Set<string>(event.data.requestIds);
      return {
        ...state,
        inFlightJobId: event.data.jobId,
        queue: state.queue.filter((q) => !taken.has(q.requestId)),
      };
    }
    case 'UnlearningJobRequeued':
      return { ...state, requeuedJobIds: [...state.requeuedJobIds, event.data.jobId] };
    case 'UnlearningJobResumed':
      return {
        ...state,
        inFlightJobId: event.data.jobId,
        requeuedJobIds: state.requeuedJobIds.filter((j) => j !== event.data.jobId),
      };
    case 'UnlearningJobClosed':
      return state.inFlightJobId === event.data.jobId ? { ...state, inFlightJobId: null } : state;
    default:
      return assertNever(event);
  }
};
