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
 * The ids of a deletion request and of its DeletionRequested event, both functions of the
 * CloudEvent `id` (one SHA-256: its two halves).
 */
export const intakeIdsFor = (
  cloudEventId: string,
): { requestId: DeletionRequestId; eventId: string } => {
  const hex = hash('sha256', `lethe:deletion-request:${cloudEventId}`, 'hex');
  return { requestId: DeletionRequestId(uuidOf(hex, 0)), eventId: uuidOf(hex, 32) };
};

/**
 * The request id is a function of the CloudEvent `id` (the idempotency key), so both doors map the
 * same event to the same stream and a repeat can only find the stream already there.
 */
export const requestIdFor = (cloudEventId: string): DeletionRequestId =>
  intakeIdsFor(cloudEventId).requestId;

/** Event id of the DeletionRequested event of that request (also deterministic). */
export const requestedEventIdFor = (cloudEventId: string): string =>
  intakeIdsFor(cloudEventId).eventId;

export const newJobId = (): JobId => JobId(randomUUID());
