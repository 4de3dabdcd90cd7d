import type { DeletionRequestEvent } from '../../domain/deletion-request/deletion-request.events';
import { DeletionRequestId, SubjectRef } from '@lethe/shared';
import type { DeadlineBasis } from '../../domain/deletion-request/deadline';
import type { DeletionScope } from '../../domain/deletion-request/deletion-request.events';
import {
  evolveDeletionRequest,
  initialDeletionRequestState,
  type DeletionRequestState,
  type ModelProgress,
  type RequestStatus,
} from '../../domain/deletion-request/deletion-request.state';
import { policyChoiceReason } from '../../domain/shared/policy-choice';
import { StateView, type HistoryDetail, type ViewRow } from './state-view.projection';
import { AGGREGATE_ID_SQL } from '../stream-sql';

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

/** The row holds the whole state in columns (no duplicate state jsonb: intake writes many rows). */
const requestStateFromRow = (r: ViewRow): DeletionRequestState => {
  // Rows written before `method` existed lack it.
  const models = ((r.models as ModelProgress[]) ?? []).map((m) => ({
    ...m,
    method: m.method ?? null,
  }));
  return {
    status: r.status as RequestStatus,
    requestId: DeletionRequestId(String(r.request_id)),
    sourceEventId: String(r.source_event_id),
    source: String(r.source),
    channel: r.channel as 'kafka' | 'http',
    subjectRef: SubjectRef(String(r.subject_ref)),
    scope: (r.scope as DeletionScope | null) ?? null,
    legalBasis: String(r.legal_basis),
    requestedAt: iso(r.requested_at),
    receivedAt: iso(r.received_at),
    deadline: iso(r.deadline),
    deadlineBasis: r.deadline_basis as DeadlineBasis,
    contentDigest: (r.content_digest as string | null) ?? null,
    lineageResolved: Boolean(r.lineage_resolved),
    models: Object.fromEntries(models.map((m) => [m.modelId, m])),
    reason: (r.reason as string | null) ?? null,
    recordsErased: Boolean(r.records_erased),
    settledAt: isoOrNull(r.completed_at),
  };
};

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

/**
 * A history entry's public detail: which model, the certificate's method and why the policy chose
 * it (the signed `evidence.policy`), or why the model failed.
 */
export const requestHistoryDetail = (e: DeletionRequestEvent): HistoryDetail | null => {
  switch (e.type) {
    case 'ModelUnlearned':
      return {
        modelId: e.data.modelId,
        ...(e.data.method === undefined ? {} : { method: e.data.method }),
        ...(e.data.policy === undefined ? {} : { reason: policyChoiceReason(e.data.policy) }),
      };
    case 'ModelUnlearningFailed':
      return { modelId: e.data.modelId, reason: e.data.reason };
    default:
      return null;
  }
};

/**
 * Read model `gov_deletion_requests_view`: status, reason, deadline, per-model progress, history.
 * Intake also writes the first row of each new request inline, in its own transaction (visible at
 * once, and the subscription then has nothing to rewrite).
 */
export const deletionRequestsView = () =>
  new StateView<DeletionRequestState, DeletionRequestEvent>({
    name: 'governance.deletion-requests',
    table: 'gov_deletion_requests_view',
    idColumn: 'request_id',
    eventTypes: DELETION_REQUEST_EVENT_TYPES,
    initialState: initialDeletionRequestState,
    evolve: evolveDeletionRequest,
    keepHistory: true,
    historyDetail: requestHistoryDetail,
    tables: ['gov_deletion_requests_view'],
    fromRow: requestStateFromRow,
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
        content_digest: s.contentDigest,
        completed_at: s.settledAt,
        records_erased: s.recordsErased,
        scope: s.scope,
        lineage_resolved: s.lineageResolved,
        models: Object.values(s.models),
        updated_at: last.metadata.occurredAt,
      };
    },
  });

export const deletionRequestsProjection = () => deletionRequestsView().projection;

/**
 * The row `deletionRequestsView().rowsOfNewStreams` writes for a request stream that holds only its
 * DeletionRequested event, built in SQL by intake's append statement from the events parameter
 * (`NewStreamsSql.also` of appendToNewStreams, over `new_events AS e`), so the event is serialised
 * once (ADR 0013). It mirrors `evolveDeletionRequest` of DeletionRequested and the view's
 * `columns`: status `received`, no models, one history entry. A stored row is kept (`DO NOTHING`:
 * every stored row is at version ≥ 1, so the fold's guarded upsert would keep it too). Int spec
 * `intake-one-statement.int-spec.ts` checks that the subscription's rebuild gives the same rows.
 */
export const DELETION_REQUEST_FIRST_ROWS_SQL = `
  INSERT INTO gov_deletion_requests_view (
    request_id, stream_version, source_event_id, source, channel, legal_basis, requested_at,
    subject_ref, status, reason, received_at, deadline, deadline_basis, content_digest,
    completed_at, records_erased, scope, lineage_resolved, models, updated_at, history)
  SELECT ${AGGREGATE_ID_SQL}, e.n, d->>'sourceEventId', d->>'source',
         d->>'channel', d->>'legalBasis', (d->>'requestedAt')::timestamptz, d->>'subjectRef',
         'received', NULL, (d->>'receivedAt')::timestamptz, (d->>'deadline')::timestamptz,
         d->>'deadlineBasis', d->>'contentDigest', NULL, false, NULLIF(d->'scope', 'null'::jsonb),
         false, '[]'::jsonb, (e.jmetadata->>'occurredAt')::timestamptz,
         jsonb_build_array(jsonb_build_object('version', e.n, 'type', e.type,
           'at', e.jmetadata->>'occurredAt', 'status', 'received'))
    FROM new_events AS e CROSS JOIN LATERAL (SELECT e.jdata AS d) AS x
   WHERE e.type = 'DeletionRequested' AND e.n = 1
  ON CONFLICT (request_id) DO NOTHING`;
