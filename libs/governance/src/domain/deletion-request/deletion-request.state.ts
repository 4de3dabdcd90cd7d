import type { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import { assertNever } from '../shared/decider';
import { policyChoiceReason } from '../shared/policy-choice';
import type { DeadlineBasis } from './deadline';
import type { DeletionRequestEvent, DeletionScope } from './deletion-request.events';

/**
 * Request statuses of docs/contracts.md §4, in lifecycle order: the one list (the response
 * schemas, the compliance summary and the dashboard's generated `request-statuses.js` use it).
 */
export const REQUEST_STATUSES = [
  'received',
  'scheduled',
  'unlearning',
  'certified',
  'no-records',
  'rejected',
  'failed',
  'needs-retrain',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const TERMINAL_STATUSES: readonly RequestStatus[] = [
  'certified',
  'no-records',
  'rejected',
  'failed',
  'needs-retrain',
];

/** Where one affected model stands for this request. */
export type ModelProgressStatus =
  'pending' | 'scheduled' | 'unlearning' | 'unlearned' | 'failed' | 'needs-retrain';

export interface ModelProgress {
  readonly modelId: ModelId;
  readonly status: ModelProgressStatus;
  readonly jobId: JobId | null;
  /**
   * Why the model stands where it does: the failure for `failed` / `needs-retrain`; for
   * `unlearned`, the policy's choice in public codes (e.g. `convex-newton refused
   * (private-check-failed); retrain chosen`) when the certificate states it.
   */
  readonly reason: string | null;
  readonly versionAfter: number | null;
  readonly certificateId: CertificateId | null;
  /** The certificate's method once unlearned (null before, and when it was not recorded). */
  readonly method: string | null;
}

export interface AbsentRequest {
  readonly status: 'absent';
}

export interface ExistingRequest {
  readonly status: RequestStatus;
  readonly requestId: DeletionRequestId;
  readonly sourceEventId: string;
  readonly source: string;
  readonly channel: 'kafka' | 'http';
  readonly subjectRef: SubjectRef;
  readonly scope: DeletionScope | null;
  readonly legalBasis: string;
  readonly requestedAt: string;
  readonly receivedAt: string;
  readonly deadline: string;
  readonly deadlineBasis: DeadlineBasis;
  /** Digest of the request's content; null for a request stored before digests existed. */
  readonly contentDigest: string | null;
  readonly lineageResolved: boolean;
  readonly models: Readonly<Record<string, ModelProgress>>;
  /** Why the request is where it is, for terminal statuses. */
  readonly reason: string | null;
  readonly recordsErased: boolean;
  /** When the request last reached a terminal status (null while open). */
  readonly settledAt: string | null;
}

export type DeletionRequestState = AbsentRequest | ExistingRequest;

export const initialDeletionRequestState = (): DeletionRequestState => ({ status: 'absent' });

export const isTerminal = (status: RequestStatus): boolean => TERMINAL_STATUSES.includes(status);

/**
 * The request status follows from where each affected model stands: any failure wins, then
 * needs-retrain, then all unlearned = certified, then the least advanced model in flight.
 */
export const deriveStatus = (
  models: Readonly<Record<string, ModelProgress>>,
): { status: RequestStatus; reason: string | null } => {
  const all = Object.values(models);
  const failed = all.find((m) => m.status === 'failed');
  if (failed) return { status: 'failed', reason: `model ${failed.modelId}: ${failed.reason}` };
  const retrain = all.find((m) => m.status === 'needs-retrain');
  if (retrain)
    return { status: 'needs-retrain', reason: `model ${retrain.modelId}: ${retrain.reason}` };
  if (all.length > 0 && all.every((m) => m.status === 'unlearned')) {
    return { status: 'certified', reason: `unlearned from ${all.length} model(s)` };
  }
  if (all.some((m) => m.status === 'pending')) return { status: 'received', reason: null };
  if (all.some((m) => m.status === 'scheduled')) return { status: 'scheduled', reason: null };
  return { status: 'unlearning', reason: null };
};

const withModel = (
  state: ExistingRequest,
  modelId: ModelId,
  patch: Partial<ModelProgress>,
): ExistingRequest => {
  const current = state.models[modelId];
  if (!current) return state;
  const models = { ...state.models, [modelId]: { ...current, ...patch } };
  return { ...state, models, ...deriveStatus(models) };
};

/** When an event happened, from its own payload (events carry their business time). */
const timeOf = (event: DeletionRequestEvent): string => {
  switch (event.type) {
    case 'DeletionRequested':
      return event.data.receivedAt;
    case 'LineageResolved':
    case 'NoRecordsFound':
      return event.data.resolvedAt;
    case 'DeletionRequestRejected':
      return event.data.rejectedAt;
    case 'UnlearningScheduled':
      return event.data.scheduledAt;
    case 'UnlearningStarted':
      return event.data.startedAt;
    case 'ModelUnlearned':
      return event.data.completedAt;
    case 'ModelUnlearningFailed':
      return event.data.failedAt;
    case 'UnlearningRetried':
      return event.data.retriedAt;
    case 'SubjectRecordsErased':
      return event.data.erasedAt;
    default:
      return assertNever(event);
  }
};

export const evolveDeletionRequest = (
  state: DeletionRequestState,
  event: DeletionRequestEvent,
): DeletionRequestState => {
  const next = applyEvent(state, event);
  if (next.status === 'absent' || state.status === 'absent') return next;
  const wasTerminal = isTerminal(state.status);
  const nowTerminal = isTerminal(next.status);
  if (nowTerminal && !wasTerminal) return { ...next, settledAt: timeOf(event) };
  if (!nowTerminal && wasTerminal) return { ...next, settledAt: null };
  return next;
};

const applyEvent = (
  state: DeletionRequestState,
  event: DeletionRequestEvent,
): DeletionRequestState => {
  if (event.type === 'DeletionRequested') {
    if (state.status !== 'absent') return state;
    const d = event.data;
    return {
      status: 'received',
      requestId: d.requestId,
      sourceEventId: d.sourceEventId,
      source: d.source,
      channel: d.channel,
      subjectRef: d.subjectRef,
      scope: d.scope,
      legalBasis: d.legalBasis,
      requestedAt: d.requestedAt,
      receivedAt: d.receivedAt,
      deadline: d.deadline,
      deadlineBasis: d.deadlineBasis,
      contentDigest: d.contentDigest ?? null,
      lineageResolved: false,
      models: {},
      reason: null,
      recordsErased: false,
      settledAt: null,
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'LineageResolved': {
      const models: Record<string, ModelProgress> = {};
      for (const m of event.data.affectedModels) {
        models[m.modelId] = {
          modelId: m.modelId,
          status: 'pending',
          jobId: null,
          reason: null,
          versionAfter: null,
          certificateId: null,
          method: null,
        };
      }
      return { ...state, lineageResolved: true, models, ...deriveStatus(models) };
    }
    case 'NoRecordsFound':
      return { ...state, lineageResolved: true, status: 'no-records', reason: event.data.reason };
    case 'DeletionRequestRejected':
      return { ...state, status: 'rejected', reason: `${event.data.code}: ${event.data.reason}` };
    case 'UnlearningScheduled':
      return withModel(state, event.data.modelId, { status: 'scheduled', jobId: event.data.jobId });
    case 'UnlearningStarted':
      return withModel(state, event.data.modelId, {
        status: 'unlearning',
        jobId: event.data.jobId,
      });
    case 'ModelUnlearned':
      return withModel(state, event.data.modelId, {
        status: 'unlearned',
        versionAfter: event.data.versionAfter,
        certificateId: event.data.certificateId,
        method: event.data.method ?? null,
        reason: event.data.policy ? policyChoiceReason(event.data.policy) : null,
      });
    case 'ModelUnlearningFailed':
      return withModel(state, event.data.modelId, {
        status: event.data.outcome,
        reason: event.data.reason,
      });
    case 'UnlearningRetried':
      return withModel(state, event.data.modelId, {
        status: 'scheduled',
        jobId: event.data.jobId,
        reason: null,
      });
    case 'SubjectRecordsErased':
      return { ...state, recordsErased: true };
    default:
      return assertNever(event);
  }
};
