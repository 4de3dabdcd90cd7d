import { createHash, randomUUID } from 'node:crypto';
import { DeletionRequestId, JobId } from '@lethe/shared';

/** A UUID (version 8, RFC 9562) derived from a name: the same name gives the same id. */
export const uuidFromName = (name: string): string =>
  uuidOf(createHash('sha256').update(name, 'utf8').digest(), 0);

/** 16 bytes of `digest` from `offset` as a version-8 UUID. */
const uuidOf = (digest: Buffer, offset: number): string => {
  const b = Buffer.from(digest.subarray(offset, offset + 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x80;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/**
 * The ids of a deletion request and of its DeletionRequested event, both functions of the
 * CloudEvent `id` (one SHA-256: its two halves).
 */
export const intakeIdsFor = (
  cloudEventId: string,
): { requestId: DeletionRequestId; eventId: string } => {
  const digest = createHash('sha256')
    .update(`lethe:deletion-request:${cloudEventId}`, 'utf8')
    .digest();
  return { requestId: DeletionRequestId(uuidOf(digest, 0)), eventId: uuidOf(digest, 16) };
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
