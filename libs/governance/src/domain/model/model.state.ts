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
  /** `retry-wait`: a retryable failure, sent again at `nextAttemptAt`. */
  readonly status: 'scheduled' | 'trained' | 'failed' | 'retry-wait';
  readonly trainingSet: TrainingSetSummary;
  readonly reason: string | null;
  /** The current attempt (1 before any retry); absent in states built before retries. */
  readonly attempt?: number;
  readonly nextAttemptAt?: string | null;
  /** What the job reads, for a retry (absent for jobs scheduled before retries existed). */
  readonly datasetIds?: readonly string[];
  readonly records?: readonly { readonly datasetId: string; readonly recordId: string }[];
  /** The latest progress the worker reported on the current attempt. */
  readonly progress?: TrainingProgress | null;
}

export interface TrainingProgress {
  readonly attempt: number;
  readonly seq: number;
  readonly stage: string;
  readonly done: number;
  readonly total: number | null;
  readonly at: string;
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
      policy: event.data.policy ?? policyOf(event.data.profile),
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
          attempt: 1,
          nextAttemptAt: null,
          progress: null,
          ...(event.data.datasetIds ? { datasetIds: event.data.datasetIds } : {}),
          ...(event.data.records ? { records: event.data.records } : {}),
        },
      };
    case 'ModelTrainingFailed': {
      if (state.training?.jobId !== event.data.jobId) return state;
      const next = event.data.nextAttemptAt ?? null;
      return {
        ...state,
        training: {
          ...state.training,
          status: next === null ? 'failed' : 'retry-wait',
          reason: event.data.reason,
          nextAttemptAt: next,
        },
      };
    }
    case 'ModelTrainingRetried':
      return state.training?.jobId === event.data.jobId
        ? {
            ...state,
            training: {
              ...state.training,
              status: 'scheduled',
              attempt: event.data.attempt,
              nextAttemptAt: null,
              progress: null,
            },
          }
        : state;
    case 'ModelTrainingProgressed':
      return state.training?.jobId === event.data.jobId
        ? {
            ...state,
            training: {
              ...state.training,
              progress: {
                attempt: event.data.attempt,
                seq: event.data.seq,
                stage: event.data.stage,
                done: event.data.done,
                total: event.data.total,
                at: event.data.reportedAt,
              },
            },
          }
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
