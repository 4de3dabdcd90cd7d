import { createHmac, hash } from 'node:crypto';
import {
  DeletionRequestId,
  SubjectId,
  SubjectRef,
  type DeletionRequestId as DeletionRequestIdType,
} from '@lethe/shared';
import { byCodeUnits } from '@lethe/shared/domain';
import type { NewEvent, NewStream } from '@lethe/event-store';
import type { DeletionRequestCommand } from '../domain/deletion-request/deletion-request.commands';
import type {
  DeletionRequested,
  DeletionScope,
} from '../domain/deletion-request/deletion-request.events';
import { GovernanceError, isGovernanceError } from '../domain/governance.errors';
import type {
  DeletionIntakeItem,
  DeletionIntakeOutcome,
  RequestDeletionCommand,
} from '../application/commands/request-deletion/request-deletion.command';

/**
 * The intake's work before its transaction as it was written at `ebfa946` (one object, one spread
 * and one `Date` per step), kept verbatim as the oracle the fast path is compared with: the ids,
 * the subject HMAC, the content digest, the decided event and its metadata must stay byte for
 * byte what this gives, because they are stored (stream names, `events.data`, `events.metadata`).
 * Test and bench code only (request-deletion.prepare.spec.ts, bench/intake/pre-transaction.bench.ts).
 */

// --- application/ids.ts ---------------------------------------------------------------------

const VARIANT = '89ab';

const uuidOf = (hex: string, offset: number): string => {
  const h = hex.slice(offset, offset + 32);
  const variant = VARIANT[parseInt(h.charAt(16), 16) & 0x3] ?? '8';
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
};

const idempotencyKeyOf = (source: string, cloudEventId: string): string =>
  JSON.stringify([source, cloudEventId]);

export const referenceIntakeIdsFor = (
  source: string,
  cloudEventId: string,
): { requestId: DeletionRequestIdType; eventId: string } => {
  const hex = hash(
    'sha256',
    `lethe:deletion-request:v2:${idempotencyKeyOf(source, cloudEventId)}`,
    'hex',
  );
  return { requestId: DeletionRequestId(uuidOf(hex, 0)), eventId: uuidOf(hex, 32) };
};

// --- infrastructure/crypto/hmac-subject-pseudonymizer.ts -------------------------------------

export class ReferenceHmacSubjectPseudonymizer {
  private readonly key: Buffer;

  constructor(key: string | Buffer) {
    this.key = Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
    if (this.key.length < 32) throw new Error('subject HMAC key must be at least 32 bytes');
  }

  refOf(subjectId: SubjectId): SubjectRef {
    return SubjectRef(
      `sr1_${createHmac('sha256', this.key).update(subjectId, 'utf8').digest('base64url')}`,
    );
  }
}

// --- domain/deletion-request/request-content.ts ---------------------------------------------

interface RequestContent {
  readonly subjectRef: SubjectRef;
  readonly scope: DeletionScope | null;
  readonly legalBasis: string;
  readonly requestedDeadline: string | null;
}

const asSet = (ids: readonly string[] | null): string[] | null =>
  ids === null ? null : [...new Set(ids)].sort(byCodeUnits);

const canonicalScope = (scope: DeletionScope | null): DeletionScope | null => {
  if (scope === null) return null;
  const datasetIds = asSet(scope.datasetIds);
  const recordIds = asSet(scope.recordIds);
  return datasetIds === null && recordIds === null ? null : { datasetIds, recordIds };
};

const canonicalInstant = (at: string): string => new Date(at).toISOString();

const canonicalLegalBasis = (legalBasis: string): string => legalBasis.toLowerCase();

export const referenceCanonicalContent = (c: RequestContent): string => {
  const scope = canonicalScope(c.scope);
  return JSON.stringify({
    deadline: c.requestedDeadline === null ? null : canonicalInstant(c.requestedDeadline),
    legalBasis: canonicalLegalBasis(c.legalBasis),
    scope: scope === null ? null : { datasetIds: scope.datasetIds, recordIds: scope.recordIds },
    subjectRef: c.subjectRef,
  });
};

const contentDigestOf = (c: RequestContent): string =>
  `c1:${hash('sha256', referenceCanonicalContent(c), 'hex')}`;

// --- domain/deletion-request/deadline.ts ----------------------------------------------------

const DAY_MS = 86_400_000;
const CCPA_DAYS = 45;

const statuteOf = (legalBasis: string): 'gdpr' | 'ccpa' | null => {
  const b = legalBasis.toLowerCase();
  if (b.startsWith('gdpr')) return 'gdpr';
  if (b.startsWith('ccpa') || b.startsWith('cpra')) return 'ccpa';
  return null;
};

const addOneCalendarMonth = (from: Date): Date => {
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const d = Math.min(from.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(
      y,
      m,
      d,
      from.getUTCHours(),
      from.getUTCMinutes(),
      from.getUTCSeconds(),
      from.getUTCMilliseconds(),
    ),
  );
};

type DeadlineBasis = 'gdpr' | 'ccpa' | 'event';

const computeDeadline = (input: {
  readonly legalBasis: string;
  readonly clockStartsAt: string;
  readonly requestedDeadline: string | null;
}): { at: string; basis: DeadlineBasis } | null => {
  const statute = statuteOf(input.legalBasis);
  const received = new Date(input.clockStartsAt);
  const statutory: { at: string; basis: DeadlineBasis } | null =
    statute === 'gdpr'
      ? { at: addOneCalendarMonth(received).toISOString(), basis: 'gdpr' }
      : statute === 'ccpa'
        ? { at: new Date(received.getTime() + CCPA_DAYS * DAY_MS).toISOString(), basis: 'ccpa' }
        : null;
  const explicit: { at: string; basis: DeadlineBasis } | null =
    input.requestedDeadline === null
      ? null
      : { at: new Date(input.requestedDeadline).toISOString(), basis: 'event' };
  if (statutory === null) return explicit;
  if (explicit === null) return statutory;
  return Date.parse(explicit.at) < Date.parse(statutory.at) ? explicit : statutory;
};

// --- domain/deletion-request/deletion-request.decider.ts, case RequestDeletion (new stream) ---

type RequestDeletionDecision = Extract<DeletionRequestCommand, { type: 'RequestDeletion' }>;

const decideNew = (command: RequestDeletionDecision): DeletionRequested => {
  const { requestedDeadline, ...data } = command.data;
  const content: RequestContent = {
    subjectRef: data.subjectRef,
    scope: data.scope,
    legalBasis: data.legalBasis,
    requestedDeadline,
  };
  const contentDigest = contentDigestOf(content);
  const clockStartsAt =
    Date.parse(data.requestedAt) < Date.parse(data.receivedAt) ? data.requestedAt : data.receivedAt;
  const deadline = computeDeadline({
    legalBasis: data.legalBasis,
    clockStartsAt,
    requestedDeadline,
  });
  if (deadline === null) {
    throw new GovernanceError(
      'DEADLINE_REQUIRED',
      'legalBasis names no known statute (gdpr-*, ccpa-*): a deadline is required',
      { legalBasis: data.legalBasis },
    );
  }
  return {
    type: 'DeletionRequested',
    data: { ...data, deadline: deadline.at, deadlineBasis: deadline.basis, contentDigest },
  };
};

// --- application/commands/request-deletion/request-deletion.handler.ts (before the transaction)

export interface ReferencePrepared {
  readonly outcomes: DeletionIntakeOutcome[];
  readonly candidates: {
    readonly index: number;
    readonly streamId: string;
    readonly requestId: DeletionRequestIdType;
    readonly decision: RequestDeletionDecision;
  }[];
  readonly toAppend: Map<string, NewStream<DeletionRequested>>;
}

const decisionOf = (
  item: DeletionIntakeItem,
  command: RequestDeletionCommand,
  requestId: DeletionRequestIdType,
  refOf: (subjectId: SubjectId) => SubjectRef,
): RequestDeletionDecision => {
  const { event, receivedAt } = item;
  const requestedAt = event.time ? new Date(event.time) : receivedAt;
  const scope = event.data.scope;
  return {
    type: 'RequestDeletion',
    data: {
      requestId,
      sourceEventId: event.id,
      source: event.source,
      channel: command.channel,
      subjectRef: refOf(SubjectId(event.data.subjectId)),
      scope: scope
        ? { datasetIds: scope.datasetIds ?? null, recordIds: scope.recordIds ?? null }
        : null,
      legalBasis: event.data.legalBasis,
      requestedAt: requestedAt.toISOString(),
      receivedAt: receivedAt.toISOString(),
      requestedDeadline: event.data.deadline ?? null,
    },
  };
};

const toEvent = (
  item: DeletionIntakeItem,
  command: RequestDeletionCommand,
  ids: { requestId: DeletionRequestIdType; eventId: string },
  decision: RequestDeletionDecision,
  now: () => Date,
): NewEvent<DeletionRequested> => {
  const { event } = item;
  const decided = decideNew(decision);
  return {
    ...decided,
    metadata: {
      messageId: ids.eventId,
      correlationId:
        item.correlationId ?? (command.channel === 'http' ? command.correlationId : event.id),
      causationId: event.id,
      actor: command.channel === 'http' ? command.actor : `kafka:${event.source}`,
      occurredAt: now().toISOString(),
      schemaVersion: 1,
    },
  };
};

/** The handler's loop before its transaction, as at `ebfa946`. */
export const referencePrepare = (
  command: RequestDeletionCommand,
  known: ReadonlySet<string>,
  refOf: (subjectId: SubjectId) => SubjectRef,
  now: () => Date,
): ReferencePrepared => {
  const outcomes: DeletionIntakeOutcome[] = [];
  const candidates: ReferencePrepared['candidates'] = [];
  const toAppend = new Map<string, NewStream<DeletionRequested>>();
  command.items.forEach((item, index) => {
    const ids = referenceIntakeIdsFor(item.event.source, item.event.id);
    const requestId = ids.requestId;
    const unknown = (item.event.data.scope?.datasetIds ?? []).filter((d) => !known.has(d));
    if (unknown.length > 0) {
      outcomes.push({
        ok: false,
        error: new GovernanceError(
          'UNKNOWN_DATASET',
          `scope names unknown dataset(s): ${unknown.join(', ')}`,
          { datasetIds: unknown },
        ),
      });
      return;
    }
    const streamId = `deletion_request-${requestId}`;
    const decision = decisionOf(item, command, requestId, refOf);
    if (!toAppend.has(streamId)) {
      let event: NewEvent<DeletionRequested>;
      try {
        event = toEvent(item, command, ids, decision, now);
      } catch (e) {
        if (!isGovernanceError(e)) throw e;
        outcomes.push({ ok: false, error: e });
        return;
      }
      toAppend.set(streamId, { streamId, events: [event] });
    }
    outcomes.push({ ok: true, requestId, created: false });
    candidates.push({ index, streamId, requestId, decision });
  });
  return { outcomes, candidates, toAppend };
};
