import { hash, randomUUID } from 'node:crypto';
import { DeletionRequestId, JobId } from '@lethe/shared';

/** A UUID (version 8, RFC 9562) derived from a name: the same name gives the same id. */
export const uuidFromName = (name: string): string => uuidOf(hash('sha256', name, 'hex'), 0);

const VARIANT = '89ab';

/** 32 hex digits of `hex` from `offset` as a version-8 UUID (version and variant bits set). */
const uuidOf = (hex: string, offset: number): string => {
  const h = hex.slice(offset, offset + 32);
  const variant = VARIANT[parseInt(h.charAt(16), 16) & 0x3] ?? '8';
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
};

/**
 * The idempotency key of an inbound deletion event: the CloudEvents pair (`source`, `id`), which
 * CloudEvents makes unique (two apps may both send `id: "1"`). Encoded as a JSON array of the two
 * strings: JSON string escaping is injective, so ("a:b", "c") and ("a", "b:c") never meet.
 */
export const idempotencyKeyOf = (source: string, cloudEventId: string): string =>
  JSON.stringify([source, cloudEventId]);

/**
 * The ids of a deletion request and of its DeletionRequested event, both functions of the
 * idempotency key (source, id) (one SHA-256: its two halves). `v2` names this derivation; the
 * first one (id alone) is kept by requests stored before it (docs/adr/0006-deletion-intake.md).
 */
export const intakeIdsFor = (
  source: string,
  cloudEventId: string,
): { requestId: DeletionRequestId; eventId: string } => {
  const hex = hash(
    'sha256',
    `lethe:deletion-request:v2:${idempotencyKeyOf(source, cloudEventId)}`,
    'hex',
  );
  return { requestId: DeletionRequestId(uuidOf(hex, 0)), eventId: uuidOf(hex, 32) };
};

/**
 * The request id is a function of (source, id), so both doors map the same event to the same
 * stream and a repeat can only find the stream already there.
 */
export const requestIdFor = (source: string, cloudEventId: string): DeletionRequestId =>
  intakeIdsFor(source, cloudEventId).requestId;

/** Event id of the DeletionRequested event of that request (also deterministic). */
export const requestedEventIdFor = (source: string, cloudEventId: string): string =>
  intakeIdsFor(source, cloudEventId).eventId;

export const newJobId = (): JobId => JobId(randomUUID());
