import type { DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import { assertNever } from '../shared/decider';
import type { ModelEvent } from './model.events';

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
}

export type ModelState = { readonly status: 'absent' } | RegisteredModel;

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
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'ModelVersionRegistered':
      return { ...state, currentVersion: Math.max(state.currentVersion, event.data.version) };
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
