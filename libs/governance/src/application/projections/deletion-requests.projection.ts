import type { DeletionRequestEvent } from '../../domain/deletion-request/deletion-request.events';
import {
  evolveDeletionRequest,
  initialDeletionRequestState,
  type DeletionRequestState,
} from '../../domain/deletion-request/deletion-request.state';
import { stateViewProjection } from './state-view.projection';

export const DELETION_REQUEST_EVENT_TYPES: readonly DeletionRequestEvent['type'][] = [
  'DeletionRequested',
  'LineageResolved',
  'NoRecordsFound',
  'DeletionRequestRejected',
  'UnlearningScheduled',
  'UnlearningStarted',
  'ModelUnlearned',
  'ModelUnlearningFailed',
  'UnlearningRetried',
  'SubjectRecordsErased',
];

/** Read model `gov_deletion_requests_view`: status, reason, deadline, per-model progress, history. */
export const deletionRequestsProjection = () =>
  stateViewProjection<DeletionRequestState, DeletionRequestEvent>({
    name: 'governance.deletion-requests',
    table: 'gov_deletion_requests_view',
    idColumn: 'request_id',
    eventTypes: DELETION_REQUEST_EVENT_TYPES,
    initialState: initialDeletionRequestState,
    evolve: evolveDeletionRequest,
    keepHistory: true,
    tables: ['gov_deletion_requests_view'],
    columns: (s, _previous, last) => {
      if (s.status === 'absent') return null;
      return {
        source_event_id: s.sourceEventId,
        source: s.source,
        channel: s.channel,
        legal_basis: s.legalBasis,
        requested_at: s.requestedAt,
        subject_ref: s.subjectRef,
        status: s.status,
        reason: s.reason,
        received_at: s.receivedAt,
        deadline: s.deadline,
        deadline_basis: s.deadlineBasis,
        completed_at: s.settledAt,
        records_erased: s.recordsErased,
        models: Object.values(s.models),
        updated_at: last.metadata.occurredAt,
      };
    },
  });
